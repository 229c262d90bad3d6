"""Time-limit policies and calendar overrides (all staff read, the admin role writes), and a
read-only view of the working-day calendar."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minhu.appeals.models import Urgency
from minhu.deadlines import actions
from minhu.deadlines.calendar import WorkCalendar, is_calendar_covered
from minhu.deadlines.models import CalendarOverride, Step, TimeLimitPolicy
from minhu.orgs.api.base import ConfigModelViewSet
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import DateFilter, IntFilter, YearFilter
from minhu.orgs.api.permissions import IsStaffMember

from .serializers import (
    CalendarDaySerializer,
    CalendarOverrideSerializer,
    TimeLimitPolicySerializer,
)

MAX_CALENDAR_DAYS = 366


class TimeLimitPolicyFilter(df.FilterSet):
    step = df.ChoiceFilter(choices=Step.choices)
    category = IntFilter(field_name="category_id")
    default = df.BooleanFilter(
        field_name="category", lookup_expr="isnull", help_text="Rows without a category"
    )
    urgency = df.ChoiceFilter(choices=Urgency.choices)

    class Meta:
        model = TimeLimitPolicy
        fields: list[str] = []


class TimeLimitPolicyViewSet(ConfigModelViewSet):
    serializer_class = TimeLimitPolicySerializer
    filterset_class = TimeLimitPolicyFilter
    delete_verb = actions.delete_time_limit

    def get_queryset(self):
        return TimeLimitPolicy.objects.order_by("step", "category_id", "urgency", "id")


class CalendarOverrideFilter(df.FilterSet):
    year = YearFilter(field_name="date", lookup_expr="year")
    date_after = DateFilter(field_name="date", lookup_expr="gte")
    date_before = DateFilter(field_name="date", lookup_expr="lte")
    is_workday = df.BooleanFilter()

    class Meta:
        model = CalendarOverride
        fields: list[str] = []


class CalendarOverrideViewSet(ConfigModelViewSet):
    serializer_class = CalendarOverrideSerializer
    filterset_class = CalendarOverrideFilter
    delete_verb = actions.delete_calendar_override

    def get_queryset(self):
        return CalendarOverride.objects.order_by("date")


class CalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [gettext("结束日期不能早于开始日期")]})
        if (attrs["end"] - attrs["start"]).days >= MAX_CALENDAR_DAYS:
            raise serializers.ValidationError(
                {"end": [gettext("最多查询%(days)d天") % {"days": MAX_CALENDAR_DAYS}]}
            )
        return attrs


class CalendarView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        summary="Working days between two dates (overrides, official calendar, fallback)",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        ],
        responses={200: CalendarDaySerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        q = CalendarQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        start, end = q.validated_data["start"], q.validated_data["end"]
        cal = WorkCalendar(start, days=(end - start).days + 1)
        names = dict(
            CalendarOverride.objects.filter(date__range=(start, end)).values_list("date", "name")
        )
        covered: dict[int, bool] = {}
        days = []
        day = start
        while day <= end:
            if day in names:
                source = "override"
            else:
                if day.year not in covered:
                    covered[day.year] = is_calendar_covered(day.year)
                source = "official" if covered[day.year] else "fallback"
            days.append(
                {
                    "date": day,
                    "weekday": day.isoweekday(),
                    "is_workday": cal.is_workday(day),
                    "source": source,
                    "name": names.get(day, ""),
                }
            )
            day += dt.timedelta(days=1)
        return Response(CalendarDaySerializer(days, many=True).data)
