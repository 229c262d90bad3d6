"""The current user's in-app notifications."""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.notifications import actions
from minhu.notifications.models import Notification, NotificationChannel, NotificationKind
from minhu.orgs.api.common import errors

from .serializers import NotificationSerializer, ReadAllSerializer, UnreadCountSerializer


class NotificationFilter(df.FilterSet):
    unread = df.BooleanFilter(method="filter_unread", help_text="true: only unread")
    kind = df.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_unread(self, qs: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(read_at__isnull=value)


@extend_schema_view(
    list=extend_schema(
        summary="My in-app notifications, newest first",
        responses={200: NotificationSerializer, **errors(400, 401)},
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        return (
            Notification.objects.filter(
                recipient=self.request.user, channel=NotificationChannel.IN_APP
            )
            .select_related("appeal")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        summary="Mark one notification read",
        request=None,
        responses={200: NotificationSerializer, **errors(401, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request: Request, pk=None) -> Response:
        n = actions.mark_read(pk, actor=request.user)
        n = Notification.objects.select_related("appeal").get(pk=n.pk)
        return Response(NotificationSerializer(n).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: ReadAllSerializer, **errors(401)},
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        return Response({"marked": actions.mark_all_read(actor=request.user)})

    @extend_schema(
        summary="How many unread notifications I have",
        responses={200: UnreadCountSerializer, **errors(401)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="unread-count",
        pagination_class=None,
        filter_backends=[],
    )
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": self.get_queryset().filter(read_at__isnull=True).count()})
