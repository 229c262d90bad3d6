from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from minhu.appeals.models import Urgency
from minhu.deadlines import actions
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.orgs.api.base import actor_of


class TimeLimitPolicySerializer(serializers.ModelSerializer):
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    measure_label = serializers.CharField(source="get_measure_display", read_only=True)
    urgency = serializers.ChoiceField(
        choices=[("", gettext_lazy("任意")), *Urgency.choices],
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: any urgency",
    )
    amount = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("9999")
    )

    class Meta:
        model = TimeLimitPolicy
        fields = [
            "id",
            "step",
            "step_label",
            "category",
            "urgency",
            "amount",
            "measure",
            "measure_label",
        ]
        # (step, category, urgency) is unique with NULL categories equal: checked by the verbs.
        validators: list = []

    # Uniqueness (NULL category included), the step and the 365-working-day cap are the
    # verbs' rules.
    def create(self, validated_data) -> TimeLimitPolicy:
        return actions.create_time_limit(actor=actor_of(self), **validated_data)

    def update(self, instance: TimeLimitPolicy, validated_data) -> TimeLimitPolicy:
        actions.update_time_limit(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


class CalendarOverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarOverride
        fields = ["id", "date", "is_workday", "name"]

    def create(self, validated_data) -> CalendarOverride:
        return actions.create_calendar_override(actor=actor_of(self), **validated_data)

    def update(self, instance: CalendarOverride, validated_data) -> CalendarOverride:
        actions.update_calendar_override(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="1 = Monday … 7 = Sunday")
    is_workday = serializers.BooleanField()
    source = serializers.ChoiceField(
        choices=["override", "official", "fallback"],
        help_text="override: an admin's row; official: chinese-calendar; fallback: "
        "weekends and fixed-date holidays (year not covered by the package)",
    )
    name = serializers.CharField(help_text="The override's note")
