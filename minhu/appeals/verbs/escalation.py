"""Whistle (吹哨报到) verbs: summon units, report, answer, cancel."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.errors import IllegalTransition, InvalidInput
from minhu.deadlines.models import Step
from minhu.deadlines.policies import due_at
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import notify_units
from minhu.orgs.models import Unit, UnitKind

from .. import guards
from ..models import (
    Appeal,
    EventKind,
    Status,
    Summons,
    SummonsStatus,
    Whistle,
)
from . import _common
from ._common import (
    _event,
    _iso,
    _lock,
    _move,
    _record_miss,
    _text,
)

# --- whistle (吹哨报到) ------------------------------------------------------------------------


@transaction.atomic
def blow_whistle(
    appeal: Appeal | int, *, actor, departments: Sequence[Unit], reason: str
) -> Whistle:
    """吹哨: a street/town that cannot solve it alone summons district departments."""
    appeal = _lock(appeal, actor)
    unit_id = guards.check_whistle(actor, appeal)
    reason = _text(reason, "reason", _("吹哨事由"), min_len=4, max_len=2000)
    departments = list({d.pk: d for d in departments}.values())
    if not departments:
        raise InvalidInput(_("请选择要召集的部门"), code="required", field="departments")
    for d in departments:
        if d.kind != UnitKind.DEPARTMENT or not d.active:
            raise InvalidInput(
                _("「%(unit)s」不是区直部门") % {"unit": d.name},
                code="invalid_unit",
                field="departments",
            )
    already = set(
        Summons.objects.filter(appeal=appeal, department__in=departments)
        .exclude(status__in=[SummonsStatus.ANSWERED, SummonsStatus.CANCELLED])
        .values_list("department_id", flat=True)
    )
    if already:
        raise IllegalTransition(_("所选部门已被召集且尚未反馈"), code="already_summoned")
    now = _common._now()
    whistle = Whistle.objects.create(
        appeal=appeal, unit_id=unit_id, reason=reason, raised_by=actor, raised_at=now
    )
    report_due = due_at(Step.REPORT, now, appeal.category, appeal.urgency, appeal.kind)
    answer_due = due_at(Step.ANSWER, now, appeal.category, appeal.urgency, appeal.kind)
    Summons.objects.bulk_create(
        [
            Summons(
                whistle=whistle,
                appeal=appeal,
                department=d,
                report_due_at=report_due,
                answer_due_at=answer_due,
            )
            for d in departments
        ]
    )
    old = appeal.status
    if old == Status.IN_PROGRESS:
        _move(appeal, Status.ESCALATED)
        appeal.save(update_fields=["status", "updated_at"])
    _event(
        appeal,
        EventKind.WHISTLE,
        actor,
        from_status=old,
        to_status=appeal.status,
        note=reason,
        unit_id=unit_id,
        whistle=whistle.pk,
        departments=[d.pk for d in departments],
        department_names=[d.name for d in departments],
        report_due=_iso(report_due),
    )
    notify_units(
        NotificationKind.SUMMONED,
        appeal,
        [d.pk for d in departments],
        f"吹哨报到：{appeal.subject}",
        reason,
        sms=True,
    )
    return whistle


def _summons_state(appeal: Appeal) -> guards.ItemState:
    """The item's summonses, locked (only the summons rows), for the escalation guards."""
    rows = list(
        Summons.objects.select_for_update(of=("self",))
        .select_related("department", "whistle")
        .filter(appeal=appeal)
        .order_by("-id")
    )
    return guards.ItemState(appeal, summonses=rows)


@transaction.atomic
def report_summons(
    appeal: Appeal | int, *, actor, share: str, unit_id: int | None = None
) -> Summons:
    """报到: a summoned department acknowledges and takes its share (照单全收)."""
    appeal = _lock(appeal, actor)
    summons = guards.check_report(actor, appeal, _summons_state(appeal), unit_id)
    share = _text(share, "share", _("承担的任务"), min_len=2, max_len=2000)
    now = _common._now()
    summons.status = SummonsStatus.REPORTED
    summons.reported_at, summons.reported_by, summons.share = now, actor, share
    summons.save(update_fields=["status", "reported_at", "reported_by", "share"])
    _record_miss(appeal, Step.REPORT, summons.report_due_at, summons.department_id, now)
    _event(
        appeal,
        EventKind.REPORT,
        actor,
        from_status=appeal.status,
        note=share,
        unit_id=summons.department_id,
        summons=summons.pk,
        on_time=now <= summons.report_due_at,
    )
    return summons


@transaction.atomic
def answer_summons(
    appeal: Appeal | int, *, actor, answer: str, unit_id: int | None = None
) -> Summons:
    """部门反馈: a department that reported says what it did about its share."""
    appeal = _lock(appeal, actor)
    summons = guards.check_answer(actor, appeal, _summons_state(appeal), unit_id)
    answer = _text(answer, "answer", _("反馈内容"), min_len=2, max_len=5000)
    now = _common._now()
    summons.status = SummonsStatus.ANSWERED
    summons.answered_at, summons.answer = now, answer
    summons.save(update_fields=["status", "answered_at", "answer"])
    _record_miss(appeal, Step.ANSWER, summons.answer_due_at, summons.department_id, now)
    _event(
        appeal,
        EventKind.ANSWER,
        actor,
        from_status=appeal.status,
        note=answer,
        unit_id=summons.department_id,
        summons=summons.pk,
        on_time=now <= summons.answer_due_at,
    )
    return summons


@transaction.atomic
def cancel_summons(appeal: Appeal | int, *, actor, summons_id: int, reason: str) -> Summons:
    """撤销召集: the street that blew the whistle (or the centre) withdraws a summons the
    department has not reported to: sent to the wrong department, or no longer needed. The
    summons leaves the department's queue, no longer holds up 办结 and no deadline runs on it;
    the department is told. A report deadline the department had already missed stays on the
    record (a summoned department reports first: 照单全收). A reported summons stays: the
    department has taken its share."""
    appeal = _lock(appeal, actor)
    summons = guards.check_cancel_summons(actor, appeal, _summons_state(appeal), summons_id)
    reason = _text(reason, "reason", _("撤销原因"), min_len=2, max_len=2000)
    now = _common._now()
    summons.status = SummonsStatus.CANCELLED
    summons.cancelled_at, summons.cancel_reason = now, reason
    summons.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    _event(
        appeal,
        EventKind.CANCEL_SUMMONS,
        actor,
        from_status=appeal.status,
        note=reason,
        unit_id=summons.department_id,
        summons=summons.pk,
        department_name=summons.department.name,
    )
    notify_units(
        NotificationKind.SUMMONS_CANCELLED,
        appeal,
        [summons.department_id],
        f"撤销召集：{appeal.subject}",
        reason,
    )
    return summons
