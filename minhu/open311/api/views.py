"""`/api/v1/open311-keys/`: the admin role issues, lists, edits and revokes Open311 clients'
keys (every change audited by the verbs in minhu.open311.actions); `/api/v1/open311-key-uses/` is
the use log.
Anyone else gets 403; a key's secret is shown only in the answer that issues it."""

from __future__ import annotations

import django_filters as df
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.open311 import actions
from minhu.open311.models import ApiKey, KeyUse
from minhu.orgs.api.base import VerbErrorsMixin
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter, TextSearchFilter
from minhu.orgs.api.permissions import IsAdminRole

from .serializers import ApiKeySerializer, IssuedApiKeySerializer, KeyUseSerializer


class ApiKeyFilter(df.FilterSet):
    active = df.BooleanFilter(help_text="Only active (true) or revoked (false) keys")
    q = TextSearchFilter(fields=("name", "contact", "prefix"), help_text="Client, contact, prefix")

    class Meta:
        model = ApiKey
        fields: list[str] = []


class ApiKeyViewSet(
    VerbErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = ApiKeySerializer
    filterset_class = ApiKeyFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return ApiKey.objects.annotate(use_count=Count("uses")).order_by("-created_at", "-id")

    @extend_schema(
        summary="Issue a key for a client (the key is in this answer only)",
        request=ApiKeySerializer,
        responses={201: IssuedApiKeySerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = ApiKeySerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        row = body.save()
        return Response(IssuedApiKeySerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a key for good (later calls with it get 403)",
        request=None,
        responses={200: ApiKeySerializer, **errors(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk=None) -> Response:
        actions.revoke_key(self.get_object(), actor=request.user)
        return Response(ApiKeySerializer(self.get_queryset().get(pk=pk)).data)


class KeyUseFilter(df.FilterSet):
    key = IntFilter(field_name="api_key_id", help_text="Uses of this key")

    class Meta:
        model = KeyUse
        fields: list[str] = []


class KeyUseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every recorded call with a key (append-only), newest first: the admin role only."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = KeyUseSerializer
    filterset_class = KeyUseFilter

    def get_queryset(self):
        return KeyUse.objects.order_by("-at", "-id")
