"""Handling verbs: contact the appellant, progress, resolve, reply."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput
from minhu.deadlines.models import Step
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import sms_appellants

from .. import guards
from ..models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    OutcomeKind,
    Status,
)
from . import _common
from ._common import (
    CLOCK_FIELDS,
    _event,
    _lock,
    _move,
    _record_miss,
    _save_attachments,
    _sync_clock,
    _text,
    _withdraw_extensions,
)

# --- handling -------------------------------------------------------------------------------


@transaction.atomic
def contact_appellant(appeal: Appeal | int, *, actor, note: str) -> Appeal:
    """联系诉求人: the lead unit records that it reached the person."""
    appeal = _lock(appeal, actor)
    unit = guards.check_contact(actor, appeal)
    note = _text(note, "note", _("联系情况"), min_len=2, max_len=2000)
    now = _common._now()
    first = appeal.contacted_at is None
    if first:
        appeal.contacted_at = now
        _sync_clock(appeal)
        appeal.save(update_fields=["contacted_at", *CLOCK_FIELDS, "updated_at"])
        _record_miss(appeal, Step.CONTACT, appeal.contact_due_at, unit, now)
    _event(
        appeal,
        EventKind.CONTACT,
        actor,
        from_status=appeal.status,
        note=note,
        unit_id=unit,
        first=first,
        on_time=bool(appeal.contact_due_at and now <= appeal.contact_due_at),
    )
    return appeal


@transaction.atomic
def add_progress(
    appeal: Appeal | int, *, actor, note: str, attachments: Sequence = ()
) -> AppealEvent:
    """办理进展: any unit working on it (lead, assisting, summoned) adds a note and photos."""
    appeal = _lock(appeal, actor)
    unit = guards.check_progress(actor, appeal, guards.ItemState(appeal))
    note = _text(note, "note", _("进展说明"), min_len=2, max_len=5000)
    files = _save_attachments(appeal, attachments, actor, by_handler=True)
    return _event(
        appeal,
        EventKind.PROGRESS,
        actor,
        from_status=appeal.status,
        note=note,
        unit_id=unit,
        attachments=[f.pk for f in files],
    )


@transaction.atomic
def resolve(
    appeal: Appeal | int,
    *,
    actor,
    outcome_kind: str,
    outcome: str,
    measures: str = "",
    responsible_office: str = "",
    responsible_person: str = "",
    roadmap: str = "",
    timetable: str = "",
    explanation: str = "",
    attachments: Sequence = (),
) -> Appeal:
    """办结: on the spot, coordinated, or long-term with a roadmap, timetable and explanation."""
    appeal = _lock(appeal, actor)
    unit = guards.check_resolve(actor, appeal, guards.ItemState(appeal))
    if outcome_kind not in OutcomeKind.values:
        raise InvalidInput(_("请选择办理方式"), code="invalid_choice", field="outcome_kind")
    outcome = _text(outcome, "outcome", _("办理结果"), min_len=4)
    if outcome_kind == OutcomeKind.LONG_TERM:
        roadmap = _text(roadmap, "roadmap", _("路线图"))
        timetable = _text(timetable, "timetable", _("时间表"))
        explanation = _text(explanation, "explanation", _("向群众的解释说明"))
    now = _common._now()
    old = _move(appeal, Status.RESOLVED)
    appeal.outcome_kind, appeal.outcome = outcome_kind, outcome
    appeal.measures = measures.strip()
    appeal.responsible_office = responsible_office.strip()[:100]
    appeal.responsible_person = responsible_person.strip()[:50]
    appeal.roadmap, appeal.timetable, appeal.explanation = (
        roadmap.strip(),
        timetable.strip(),
        explanation.strip(),
    )
    appeal.resolved_at = now
    _record_miss(appeal, Step.RESOLVE, appeal.resolve_due_at, unit, now)
    if appeal.contacted_at is None:
        _record_miss(appeal, Step.CONTACT, appeal.contact_due_at, unit, None)
    _sync_clock(appeal)
    _withdraw_extensions(appeal, "诉求已办结，延期申请失效")
    appeal.save(
        update_fields=[
            "status",
            "outcome_kind",
            "outcome",
            "measures",
            "responsible_office",
            "responsible_person",
            "roadmap",
            "timetable",
            "explanation",
            "resolved_at",
            "current_step",
            "current_due_at",
            "updated_at",
        ]
    )
    Assignment.objects.filter(appeal=appeal, active=True, role=AssignmentRole.LEAD).update(
        status=AssignmentStatus.DONE
    )
    files = _save_attachments(appeal, attachments, actor, by_handler=True)
    _event(
        appeal,
        EventKind.RESOLVE,
        actor,
        from_status=old,
        to_status=Status.RESOLVED,
        note=outcome,
        unit_id=unit,
        outcome_kind=outcome_kind,
        # No resolve deadline (a kind without that clock, imported history): it cannot be
        # late, which is also how 按时办结率 counts it (evaluation.figures).
        on_time=appeal.resolve_due_at is None or now <= appeal.resolve_due_at,
        attachments=[f.pk for f in files],
    )
    return appeal


@transaction.atomic
def reply(appeal: Appeal | int, *, actor, text: str) -> Appeal:
    """答复: tell the appellant (and every merged appellant) the result."""
    appeal = _lock(appeal, actor)
    unit = guards.check_reply(actor, appeal)
    text = _text(text, "text", _("答复内容"), min_len=10, max_len=5000)
    now = _common._now()
    old = _move(appeal, Status.REPLIED)
    appeal.reply, appeal.replied_at = text, now
    appeal.save(update_fields=["status", "reply", "replied_at", "updated_at"])
    _event(
        appeal,
        EventKind.REPLY,
        actor,
        from_status=old,
        to_status=Status.REPLIED,
        note=text,
        unit_id=unit,
    )
    children = list(Appeal.objects.select_for_update().filter(parent=appeal).order_by("pk"))
    for child in children:
        answer_merged(child, appeal, actor=actor, unit_id=unit, now=now)
    _sms_appellants([appeal], f"您的诉求已答复：{text[:60]}")
    for child in children:
        sms_merged_reply(child)
    return appeal


def answer_merged(child: Appeal, parent: Appeal, *, actor, unit_id: int | None, now) -> None:
    """Give a merged appellant (child, locked) the parent's answer addressed to them.

    The handler wrote to the parent's appellant ("王女士您好…"): each merged appellant gets an
    answer addressed to them, with the outcome, never the parent's letter. Called by `reply`
    for the children merged before, and by `merge` for a child merged after the reply."""
    child.reply, child.replied_at = merged_reply(child, parent), now
    child.save(update_fields=["reply", "replied_at", "updated_at"])
    _event(
        child,
        EventKind.REPLY,
        actor,
        from_status=child.status,
        note=child.reply,
        unit_id=unit_id,
        via_parent=parent.code,
    )


def sms_merged_reply(child: Appeal) -> None:
    _sms_appellants([child], child.reply[:120])


def salutation(appeal: Appeal) -> str:
    """How an answer to this appeal's appellant opens: their name (or enterprise), else 您好."""
    if appeal.appellant_kind == AppellantKind.ANONYMOUS:
        return "您好"
    name = (appeal.enterprise_name or appeal.appellant_name or "").strip()
    return f"{name}，您好" if name else "您好"


def merged_reply(child: Appeal, parent: Appeal) -> str:
    """The answer a merged appellant receives: addressed to them, about their own appeal."""
    outcome = (parent.outcome or "").strip()
    text = (
        f"{salutation(child)}：您反映的“{child.subject}”（查询码{child.code}）与同一问题的其他"
        f"诉求已合并办理。"
    )
    if outcome:
        text += f"办理结果：{outcome}"
    if parent.outcome_kind == OutcomeKind.LONG_TERM and parent.explanation:
        text += f"。说明：{parent.explanation.strip()}"
    return text[:5000]


def _sms_appellants(appeals: Sequence[Appeal], text: str) -> None:
    sms_appellants(NotificationKind.REPLIED, appeals, text)
