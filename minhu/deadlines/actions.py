"""Every change to time-limit policies and working-day calendar overrides.

Each verb: keyword-only `actor` (an administrator, or None for the system), one transaction, the
row locked, the rules checked, saved with update_fields and an append-only `core.ConfigChange`
written in the same transaction. New and moved deadlines use the new rules; deadlines already
set on appeals stay as they were computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from minhu.core.audit import (
    check_editable,
    clean_fields,
    delete_recorded,
    lock,
    record_created,
    save_changes,
)
from minhu.core.errors import InvalidInput
from minhu.orgs.actions import require_admin

from .models import WORK_KINDS, CalendarOverride, Measure, Step, TimeLimitPolicy, Urgency

LIMIT_FIELDS = ("step", "kind", "category", "urgency", "amount", "measure")
OVERRIDE_FIELDS = ("date", "is_workday", "name")
MAX_WORKING_DAYS = Decimal(365)


def _urgencies() -> set[str]:
    return set(Urgency.values)


def _category(value):
    from minhu.categories.models import Category

    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Category) else value
    found = Category.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("分类不存在"), code="not_found", field="category")
    return found


def _check_limit(row: TimeLimitPolicy | None, values: dict[str, Any], category) -> None:
    step = values["step"]
    if step not in Step.values:
        raise InvalidInput(_("环节不正确"), code="invalid_choice", field="step")
    if values["measure"] not in Measure.values:
        raise InvalidInput(_("计算方式不正确"), code="invalid_choice", field="measure")
    urgency = values["urgency"] or ""
    if urgency and urgency not in _urgencies():
        raise InvalidInput(_("紧急程度不正确"), code="invalid_choice", field="urgency")
    kind = values.get("kind") or ""
    if kind and kind not in WORK_KINDS:
        raise InvalidInput(_("工单类型不正确"), code="invalid_choice", field="kind")
    amount = values["amount"]
    if amount is None or amount <= 0:
        raise InvalidInput(_("时限必须大于0"), code="not_positive", field="amount")
    if values["measure"] == Measure.WORKING_DAYS and amount > MAX_WORKING_DAYS:
        raise InvalidInput(_("工作日时限不能超过365天"), code="too_long", field="amount")
    # NULL categories count as equal (the default row exists once), on every database.
    clash = TimeLimitPolicy.objects.filter(step=step, urgency=urgency, category=category, kind=kind)
    if row is not None:
        clash = clash.exclude(pk=row.pk)
    if clash.exists():
        raise InvalidInput(
            _("该环节、分类、紧急程度和工单类型的时限规则已存在"),
            code="duplicate_rule",
            field="step",
        )


def _save_limit(row: TimeLimitPolicy, **kwargs: Any) -> None:
    """Save in a savepoint: two admins adding the same rule at once meet the unique constraint
    (on PostgreSQL also for the NULL category), reported like the check above."""
    try:
        with transaction.atomic():
            row.save(**kwargs)
    except IntegrityError:
        raise InvalidInput(
            _("该环节、分类、紧急程度和工单类型的时限规则已存在"),
            code="duplicate_rule",
            field="step",
        )


@transaction.atomic
def create_time_limit(
    *,
    actor,
    step: str,
    amount: Decimal | int | str,
    measure: str,
    category=None,
    urgency: str = "",
    kind: str = "",
) -> TimeLimitPolicy:
    """A rule: how long `step` may take, for one category (or every one: None), one urgency
    (or any: "") and one work-item kind (or every kind: "")."""
    require_admin(actor)
    values = clean_fields(
        TimeLimitPolicy,
        {
            "step": step,
            "urgency": urgency or "",
            "kind": kind or "",
            "amount": amount,
            "measure": measure,
        },
    )
    cat = _category(category)
    _check_limit(None, values, cat)
    row = TimeLimitPolicy(category=cat, **values)
    _save_limit(row)
    record_created(actor, row, LIMIT_FIELDS)
    return row


@transaction.atomic
def update_time_limit(row: TimeLimitPolicy | int, *, actor, **changes: Any) -> TimeLimitPolicy:
    require_admin(actor)
    check_editable(changes, LIMIT_FIELDS)
    row = lock(TimeLimitPolicy, row)
    plain = {k: v for k, v in changes.items() if k != "category"}
    for blank in ("urgency", "kind"):
        if blank in plain and plain[blank] is None:
            plain[blank] = ""
    values = {
        "step": row.step,
        "urgency": row.urgency,
        "kind": row.kind,
        "amount": row.amount,
        "measure": row.measure,
        **clean_fields(TimeLimitPolicy, plain),
    }
    cat = _category(changes["category"]) if "category" in changes else row.category
    _check_limit(row, values, cat)
    save_changes(actor, row, LIMIT_FIELDS, {**values, "category": cat}, save=_save_limit)
    row.refresh_from_db()
    return row


@transaction.atomic
def delete_time_limit(row: TimeLimitPolicy | int, *, actor) -> None:
    """Remove a rule: new deadlines fall back to the next most specific one."""
    require_admin(actor)
    row = lock(TimeLimitPolicy, row)
    delete_recorded(actor, row, LIMIT_FIELDS)  # nothing refers to it


# --- calendar overrides ---------------------------------------------------------------------


def _check_date(date: dt.date, exclude_pk: int | None) -> None:
    if CalendarOverride.objects.filter(date=date).exclude(pk=exclude_pk).exists():
        raise InvalidInput(
            _("%(date)s 已有日历调整，请修改或删除原记录") % {"date": f"{date:%Y-%m-%d}"},
            code="duplicate_date",
            field="date",
        )


@transaction.atomic
def create_calendar_override(
    *, actor, date: dt.date | str, is_workday: bool, name: str = ""
) -> CalendarOverride:
    """A holiday (is_workday False) or a make-up working day (调休上班) on `date`."""
    require_admin(actor)
    if is_workday is None:
        raise InvalidInput(_("请选择类型"), code="required", field="is_workday")
    values = clean_fields(
        CalendarOverride, {"date": date, "is_workday": bool(is_workday), "name": name or ""}
    )
    _check_date(values["date"], None)
    row = CalendarOverride.objects.create(**values)
    record_created(actor, row, OVERRIDE_FIELDS)
    return row


@transaction.atomic
def update_calendar_override(
    row: CalendarOverride | int, *, actor, **changes: Any
) -> CalendarOverride:
    require_admin(actor)
    check_editable(changes, OVERRIDE_FIELDS)
    row = lock(CalendarOverride, row)
    if "name" in changes and changes["name"] is None:
        changes["name"] = ""
    if "is_workday" in changes and changes["is_workday"] is None:
        raise InvalidInput(_("请选择类型"), code="required", field="is_workday")
    values = clean_fields(CalendarOverride, changes)
    if "date" in values and values["date"] != row.date:
        _check_date(values["date"], row.pk)
    save_changes(actor, row, OVERRIDE_FIELDS, values)
    return row


@transaction.atomic
def delete_calendar_override(row: CalendarOverride | int, *, actor) -> None:
    require_admin(actor)
    row = lock(CalendarOverride, row)
    delete_recorded(actor, row, OVERRIDE_FIELDS)  # nothing refers to it
