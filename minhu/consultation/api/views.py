"""有事好商量's API (read): rooms with their members and figures, topics (searchable), meetings
with their decisions and the decisions' work items. Scoped like the pages: a street or
community sees its rooms (a street also its communities'), district-wide roles all, the rest
is 404; members' phones masked unless the role needs them. The decisions' work is done
through `/appeals/` (kind `meeting_decision`)."""

from __future__ import annotations

import django_filters as df
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from minhu.consultation import stats
from minhu.consultation.access import meetings_visible_to, rooms_visible_to, topics_visible_to
from minhu.consultation.models import (
    Decision,
    Meeting,
    MeetingStatus,
    Member,
    Room,
    Topic,
    TopicSource,
    TopicStatus,
)
from minhu.consultation.views import may_see_member_phones
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter
from minhu.orgs.api.permissions import IsStaffMember

from . import serializers as s

READ_ERRORS = errors(400, 401, 403)


class RoomFilter(df.FilterSet):
    unit = IntFilter(field_name="unit_id")
    q = df.CharFilter(method="search", max_length=50, help_text="Room or unit name")

    class Meta:
        model = Room
        fields: list[str] = []

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(unit__name__icontains=value))


@extend_schema_view(
    list=extend_schema(
        summary="Consultation rooms visible to the user, with their figures",
        responses={200: s.RoomSerializer, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One room", responses={200: s.RoomSerializer, **errors(401, 403, 404)}
    ),
)
class RoomViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaffMember]
    serializer_class = s.RoomSerializer
    filterset_class = RoomFilter
    queryset = Room.objects.none()

    def get_queryset(self) -> QuerySet[Room]:
        members = Prefetch(
            "members", Member.objects.filter(active=True).order_by("role", "name"), "active_members"
        )
        return (
            rooms_visible_to(self.request.user)
            .select_related("unit")
            .prefetch_related(members)
            .order_by("unit__path", "name", "id")
        )

    def _context_for(self, rooms) -> dict:
        rooms = list(rooms)
        ids = [r.pk for r in rooms]
        user = self.request.user
        return {
            **self.get_serializer_context(),
            "figures": stats.figures(Room.objects.filter(pk__in=ids)),
            "phones_shown": {r.pk for r in rooms if may_see_member_phones(user, r)},
        }

    def list(self, request, *args, **kwargs):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        ser = s.RoomSerializer(page, many=True, context=self._context_for(page))
        return self.get_paginated_response(ser.data)

    def retrieve(self, request, *args, **kwargs):
        room = self.get_object()
        return Response(s.RoomSerializer(room, context=self._context_for([room])).data)


class TopicFilter(df.FilterSet):
    room = IntFilter(field_name="room_id")
    status = df.ChoiceFilter(choices=TopicStatus.choices)
    source = df.ChoiceFilter(choices=TopicSource.choices)
    q = df.CharFilter(method="search", max_length=50, help_text="Words in the title or detail")

    class Meta:
        model = Topic
        fields: list[str] = []

    def search(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(detail__icontains=value))


@extend_schema_view(
    list=extend_schema(
        summary="Topics of the rooms visible to the user, newest first",
        responses={200: s.TopicSerializer, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One topic", responses={200: s.TopicSerializer, **errors(401, 403, 404)}
    ),
)
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaffMember]
    serializer_class = s.TopicSerializer
    filterset_class = TopicFilter
    queryset = Topic.objects.none()

    def get_queryset(self) -> QuerySet[Topic]:
        return topics_visible_to(self.request.user).order_by("-created_at", "-id")


class MeetingFilter(df.FilterSet):
    room = IntFilter(field_name="room_id")
    topic = IntFilter(field_name="topic_id")
    status = df.ChoiceFilter(choices=MeetingStatus.choices)

    class Meta:
        model = Meeting
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Meetings with their decisions and the decisions' work items",
        responses={200: s.MeetingSerializer, **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One meeting", responses={200: s.MeetingSerializer, **errors(401, 403, 404)}
    ),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaffMember]
    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilter
    queryset = Meeting.objects.none()

    def get_queryset(self) -> QuerySet[Meeting]:
        decisions = Prefetch(
            "decisions", Decision.objects.select_related("unit", "item").order_by("id")
        )
        return (
            meetings_visible_to(self.request.user)
            .select_related("topic")
            .prefetch_related(decisions, "invited_units", "photos")
            .order_by("-starts_at", "-id")
        )
