from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from minhu.appeals.models import Urgency
from minhu.deadlines.models import CalendarOverride, Measure, Step, TimeLimitPolicy


class TimeLimitPolicySerializer(serializers.ModelSerializer):
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    measure_label = serializers.CharField(source="get_measure_display", read_only=True)
    urgency = serializers.ChoiceField(
        choices=[("", "任意"), *Urgency.choices],
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
        # (step, category, urgency) is unique with NULL categories equal: checked in validate().
        validators: list = []

    def validate(self, attrs):
        inst: TimeLimitPolicy | None = self.instance

        def pick(field, default=None):
            return attrs[field] if field in attrs else getattr(inst, field, default)

        step, category, urgency = pick("step"), pick("category"), pick("urgency", "") or ""
        clash = TimeLimitPolicy.objects.filter(step=step, urgency=urgency, category=category)
        if inst is not None:
            clash = clash.exclude(pk=inst.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"non_field_errors": ["该环节、分类和紧急程度的时限规则已存在"]}, code="unique"
            )
        measure = pick("measure")
        amount = pick("amount")
        if measure == Measure.WORKING_DAYS and amount is not None and amount > 365:
            raise serializers.ValidationError({"amount": ["工作日时限不能超过365天"]})
        if step not in Step.values:
            raise serializers.ValidationError({"step": ["环节不正确"]})
        return attrs


class CalendarOverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarOverride
        fields = ["id", "date", "is_workday", "name"]


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
