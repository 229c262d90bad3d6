"""Organisation API: tokens, the current user, units (all staff read, admin writes), users and
memberships (admin only)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db.models import Count, Prefetch
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minhu.core.errors import InvalidInput, TooManyRequests
from minhu.orgs import actions, login_guard
from minhu.orgs.models import Membership, Unit, User

from . import serializers as s
from .base import ConfigModelViewSet, VerbErrorsMixin
from .common import errors
from .filters import MembershipFilter, UnitFilter, UserFilter
from .permissions import IsAdminRole, LoginRateThrottle


class TokenView(APIView):
    """Token for integrations. POST username/password → token; DELETE revokes the caller's."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        summary="Get the API token for a username and password",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **errors(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        refused = login_guard.refusal(request._request, body.validated_data["username"])
        if refused:
            raise TooManyRequests(refused, code="login_locked")
        user = authenticate(
            request._request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None:
            raise InvalidInput(gettext("用户名或密码不正确"), code="invalid_credentials")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "user": s.MeSerializer(user).data})

    @extend_schema(
        summary="Revoke the caller's token",
        responses={204: OpenApiResponse(description="Revoked"), **errors(401)},
    )
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The current user, roles and units", responses={200: s.MeSerializer, **errors(401)}
    )
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user).data)


class UnitViewSet(ConfigModelViewSet):
    serializer_class = s.UnitSerializer
    filterset_class = UnitFilter
    delete_verb = actions.delete_unit

    def get_queryset(self):
        return (
            Unit.objects.annotate(child_count=Count("children", distinct=True))
            .prefetch_related(Prefetch("paired_communities", Unit.objects.only("id")))
            .order_by("path")
        )

    @extend_schema(
        summary="The organisation tree (nested)",
        parameters=[
            OpenApiParameter("root", OpenApiTypes.INT, description="Start here (default: tops)"),
            OpenApiParameter("active", OpenApiTypes.BOOL, description="Only active units"),
        ],
        responses={200: s.UnitTreeSerializer(many=True), **errors(401, 403)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request: Request) -> Response:
        qs = Unit.objects.order_by("path")
        roots: list[Unit]
        root_id = request.query_params.get("root")
        if root_id:
            try:
                root = Unit.objects.get(pk=int(root_id))
            except (ValueError, Unit.DoesNotExist):
                raise exceptions.NotFound()
            qs = qs.filter(path__startswith=root.path)
        if request.query_params.get("active") in ("1", "true", "True"):
            qs = qs.filter(active=True)
        units = list(qs)
        ids = {u.pk for u in units}
        children: dict[int, list[Unit]] = {}
        roots = []
        for u in units:
            if u.parent_id in ids:
                children.setdefault(u.parent_id, []).append(u)
            else:
                roots.append(u)
        return Response(s.UnitTreeSerializer(roots, many=True, context={"children": children}).data)


class UserViewSet(VerbErrorsMixin, viewsets.ModelViewSet):
    """Accounts (admin only). Users are deactivated (`is_active: false`), never deleted."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = s.UserSerializer
    filterset_class = UserFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return User.objects.prefetch_related(
            Prefetch(
                "memberships",
                Membership.objects.select_related("unit").order_by("unit__path", "role"),
            )
        ).order_by("username")

    @extend_schema(
        summary="Lift a sign-in lockout (audited in config-changes)",
        request=None,
        responses={200: s.UnlockSerializer, **errors(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk=None) -> Response:
        user = self.get_object()
        unlocked = actions.unlock_login(user, actor=request.user)
        return Response(
            {"unlocked": unlocked, "login_locked": login_guard.is_locked(user.username)}
        )


class MembershipViewSet(VerbErrorsMixin, viewsets.ModelViewSet):
    """Who holds which role in which unit (admin only). PATCH `active` to suspend a role and
    keep its history; DELETE removes it."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilter

    def get_queryset(self):
        return Membership.objects.select_related("user", "unit").order_by("unit__path", "id")

    def perform_destroy(self, instance: Membership) -> None:
        actions.remove_membership(instance, actor=self.request.user)
