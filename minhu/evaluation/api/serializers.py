"""Request bodies and query parameters of the accountability API: each write endpoint reads its
body through one of these, so a wrong type (`{"approve": "x"}`, `{"indicators": 5}`, an id past
2^63, a date that does not exist) is 400 `invalid` with the field named, and the schema says
what each endpoint takes. The verbs in evaluation.actions still check the meaning."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from minhu.core.routers import MAX_ID

from ..models import RankingGroup


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


def _id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, **kwargs
    )


class BoundedDateTimeField(serializers.DateTimeField):
    """A moment between 1900 and 9998 (earlier or later ones do not fit the database's UTC)."""

    def enforce_timezone(self, value):
        # Before DRF's own timezone handling, which overflows on 0001-01-01 in +08:00.
        if not 1900 <= value.year <= 9998:
            raise serializers.ValidationError(_("时间超出范围（1900–9998年）"))
        return super().enforce_timezone(value)


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not 1900 <= day.year <= 9998:
            raise serializers.ValidationError(_("日期超出范围（1900–9998年）"))
        return day


class PeriodBody(serializers.Serializer):
    period = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="YYYY-MM"
    )


class PublishBody(PeriodBody):
    groups = serializers.ListField(
        child=serializers.ChoiceField(choices=RankingGroup.choices), required=False
    )
    note = _text()
    revise = serializers.BooleanField(default=False)


class ReviewBody(PeriodBody):
    department = _id()
    satisfaction = _text()
    indicators = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    comment = _text()


class InterviewRecordBody(serializers.Serializer):
    held_at = BoundedDateTimeField(required=False, allow_null=True)
    interviewer = _text()
    attendees = _text()
    record = _text()
    promise = _text()
    promise_due = BoundedDateField(required=False, allow_null=True)


class NominationBody(PeriodBody):
    list_kind = _text()
    unit = _id()
    subject_name = _text()
    conduct = _text(help_text="Code of a harmful conduct (损害营商环境行为)")
    reason = _text()


class DecideBody(serializers.Serializer):
    approve = serializers.BooleanField(default=False)
    note = _text()


class SupervisionBody(serializers.Serializer):
    appeal = _id(help_text="Supervise one appeal ...")
    unit = _id(help_text="... or a unit")
    reason = _text()
    requirement = _text()
    due_at = BoundedDateTimeField(required=False, allow_null=True)


class CloseSupervisionBody(serializers.Serializer):
    result = _text()
    cancel = serializers.BooleanField(default=False)


class LedgerQuery(serializers.Serializer):
    start = BoundedDateField(required=False, allow_null=True)
    end = BoundedDateField(required=False, allow_null=True)
    unit = _id()
    category = _id()
    handler = _id()
    status = _text()


def read(serializer_class: type[serializers.Serializer], data) -> dict:
    """Validated data of a body or query (400 `invalid` with field errors otherwise)."""
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data
