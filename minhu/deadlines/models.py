"""Working-day calendar overrides and time-limit policies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    """How urgent a work item is; time limits may differ per urgency (TimeLimitPolicy)."""

    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class CalendarOverride(models.Model):
    """An admin's correction of the official calendar for one date: a holiday, or a make-up
    working day (调休). Wins over chinese-calendar and over the fallback for years it lacks."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是工作日"))
    name = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("放假")
        return f"{self.date} {kind} {self.name}"


# The work-item kinds time limits may be set for: code -> label. Filled by
# minhu.appeals.kinds.register_kind (the loop tells deadlines; deadlines import no appeals).
WORK_KINDS: dict[str, object] = {}


def declare_kind(code: str, label) -> None:
    WORK_KINDS[code] = label


def kind_choices() -> list[tuple[str, object]]:
    return list(WORK_KINDS.items())


class Step(models.TextChoices):
    CLAIM = "claim", _("签收")
    CONTACT = "contact", _("联系诉求人")
    RESOLVE = "resolve", _("办结")
    REPORT = "report", _("吹哨报到")
    ANSWER = "answer", _("部门反馈")


class Measure(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    NATURAL_DAYS = "natural_days", _("自然日")
    WORKING_HOURS = "working_hours", _("工作小时")
    NATURAL_HOURS = "natural_hours", _("自然小时")


class TimeLimitPolicy(models.Model):
    """How long a step may take. The most specific row wins: a row for the item's work-item
    kind before any row for every kind ("" kind); within each, category and urgency, then
    category, then its first-level category, then urgency alone, then the default row."""

    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    # "" = every kind (the rows kept from before kinds existed); else a work-item kind code.
    kind = models.CharField(
        _("工单类型"), max_length=30, blank=True, default="", choices=kind_choices
    )
    category = models.ForeignKey(
        "categories.Category",
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
    )
    urgency = models.CharField(_("紧急程度"), max_length=10, blank=True)
    amount = models.DecimalField(_("时限"), max_digits=6, decimal_places=2)
    measure = models.CharField(_("单位"), max_length=20, choices=Measure.choices)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        constraints = [
            models.UniqueConstraint(
                fields=["step", "category", "urgency", "kind"],
                name="uniq_time_limit_kind",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.amount}{self.get_measure_display()}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.amount is not None and self.amount <= 0:
            errors["amount"] = _("时限必须大于0")
        if self.urgency:
            if self.urgency not in Urgency.values:
                errors["urgency"] = _("紧急程度不正确")
        if self.kind and self.kind not in WORK_KINDS:
            errors["kind"] = _("工单类型不正确")
        # The unique constraint treats NULL categories as equal on PostgreSQL only (SQLite does
        # not support nulls_distinct=False), so the rule is checked here for every database.
        if self.step:
            clash = TimeLimitPolicy.objects.filter(
                step=self.step,
                category_id=self.category_id,
                urgency=self.urgency or "",
                kind=self.kind or "",
            )
            if self.pk:
                clash = clash.exclude(pk=self.pk)
            if clash.exists():
                errors["__all__"] = _("已存在相同环节、分类、紧急程度和工单类型的时限规则")
        if errors:
            raise ValidationError(errors)


class DeadlineMiss(models.Model):
    """A step of a work item (an `appeals.Appeal` row of any kind: resident appeal, visit
    problem, meeting decision, ...) that was not done by its due time. Written once per (item,
    step, due time, unit): the unit matters for summonses, where several departments share one
    report deadline. The field keeps the name `appeal` (the work item's model)."""

    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="misses"
    )
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("责任单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("应完成时间"))
    detected_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("实际完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("超时记录")
        verbose_name_plural = _("超时记录")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "step", "due_at", "unit"], name="uniq_miss")
        ]
        indexes = [models.Index(fields=["unit", "detected_at"])]

    def __str__(self) -> str:
        return _("%(step)s超时 #%(appeal)s") % {
            "step": self.get_step_display(),
            "appeal": self.appeal_id,
        }
