"""The WeChat-group channel's API: the groups a user sees, their messages (phones masked by
role) with the text to post back, registering a message and a record, counts per level."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.core.errors import InvalidInput
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter
from minhu.orgs.models import Unit, UnitKind

from .. import access, actions, stats
from ..models import GroupMessage, WechatGroup
from .serializers import (
    GroupSerializer,
    MessageInSerializer,
    MessageSerializer,
    RecordInSerializer,
    RecordSerializer,
    StatsRowSerializer,
)


class GroupFilter(df.FilterSet):
    q = df.CharFilter(method="filter_q", max_length=60, help_text="Name, unit or keeper")
    community = IntFilter(field_name="community_id")
    unit = IntFilter(field_name="unit_id")
    active = df.BooleanFilter()
    mine = df.BooleanFilter(method="filter_mine", help_text="true: the groups I keep")

    class Meta:
        model = WechatGroup
        fields: list[str] = []

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(
            Q(name__icontains=value)
            | Q(unit__name__icontains=value)
            | Q(keeper__display_name__icontains=value)
        )

    def filter_mine(self, qs: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return qs
        user = self.request.user
        return qs.filter(keeper=user) if value else qs.exclude(keeper=user)


@extend_schema_view(
    list=extend_schema(
        summary="WeChat groups I may see", responses={200: GroupSerializer, **errors(400, 401)}
    ),
    retrieve=extend_schema(
        summary="One WeChat group", responses={200: GroupSerializer, **errors(401, 404)}
    ),
)
class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = GroupSerializer
    filterset_class = GroupFilter
    queryset = WechatGroup.objects.none()

    def get_queryset(self) -> QuerySet[WechatGroup]:
        return (
            access.groups_visible_to(self.request.user)
            .select_related("unit", "community", "street", "keeper")
            .order_by("community_id", "name", "id")
        )

    @extend_schema(
        summary="Register a message from the group (a work item, or joined to the open one it repeats)",
        request=MessageInSerializer,
        responses={201: MessageSerializer, **errors(400, 401, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def messages(self, request: Request, pk=None) -> Response:
        group = self.get_object()
        data = MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        grid = None
        if v["grid"]:
            grid = Unit.objects.filter(pk=v["grid"], kind=UnitKind.GRID).first()
            if grid is None:
                raise InvalidInput(
                    _("所选网格不属于该群所在社区"), code="invalid_grid", field="grid"
                )
        m = actions.register_message(
            actor=request.user,
            group=group,
            text=v["text"],
            sender=v["sender"],
            sender_phone=v["sender_phone"],
            posted_at=v["posted_at"],
            subject=v["subject"],
            grid=grid,
        )
        m = GroupMessage.objects.select_related("group", "appeal", "appeal__lead_unit").get(pk=m.pk)
        return Response(MessageSerializer(m, context={"request": request}).data, status=201)

    @extend_schema(
        summary="Record a policy post or a problem settled in the group",
        request=RecordInSerializer,
        responses={201: RecordSerializer, **errors(400, 401, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def records(self, request: Request, pk=None) -> Response:
        group = self.get_object()
        data = RecordInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        r = actions.add_record(actor=request.user, group=group, **data.validated_data)
        return Response(RecordSerializer(r).data, status=201)

    @extend_schema(
        summary="Counts per street, community or grid",
        parameters=[
            OpenApiParameter("level", enum=list(stats.LEVELS), default="community"),
        ],
        responses={200: StatsRowSerializer(many=True), **errors(400, 401)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def stats(self, request: Request) -> Response:
        level = request.query_params.get("level") or "community"
        if level not in stats.LEVELS:
            raise InvalidInput(_("统计层级不正确"), code="invalid_choice", field="level")
        return Response(StatsRowSerializer(stats.counts(request.user, level), many=True).data)


class MessageFilter(df.FilterSet):
    group = IntFilter(field_name="group_id")
    answered = df.BooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True)
    repeat = df.BooleanFilter(field_name="duplicate_of", lookup_expr="isnull", exclude=True)

    class Meta:
        model = GroupMessage
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Messages registered from the groups I may see, newest first",
        responses={200: MessageSerializer, **errors(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One message", responses={200: MessageSerializer, **errors(401, 404)}
    ),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    queryset = GroupMessage.objects.none()

    def get_queryset(self) -> QuerySet[GroupMessage]:
        return (
            access.messages_visible_to(self.request.user)
            .select_related("group", "appeal", "appeal__lead_unit")
            .order_by("-id")
        )

    @extend_schema(
        summary="The answer was posted back into the group",
        request=None,
        responses={200: MessageSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def answered(self, request: Request, pk=None) -> Response:
        m = self.get_object()
        actions.mark_answered(m, actor=request.user)
        m.refresh_from_db()
        return Response(MessageSerializer(m, context={"request": request}).data)
