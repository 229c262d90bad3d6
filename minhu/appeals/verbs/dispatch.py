"""Dispatch verbs: dispatch to units, claim, return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput
from minhu.deadlines.models import Step
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import notify_roles, notify_units
from minhu.orgs.models import HANDLING_KINDS, Role, Unit

from .. import guards
from ..models import (
    Appeal,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    Status,
    Urgency,
)
from . import _common
from ._common import (
    CLOCK_FIELDS,
    _acting_unit,
    _event,
    _lead_assignment,
    _lock,
    _move,
    _record_miss,
    _require_centre,
    _require_status,
    _set_dues,
    _sync_clock,
    _text,
    _withdraw_extensions,
)

# --- dispatch and claim ---------------------------------------------------------------------


def _check_handling_units(units: Sequence[Unit]) -> None:
    for u in units:
        if not u.active or u.kind not in HANDLING_KINDS:
            raise InvalidInput(
                _("「%(unit)s」不能承办诉求") % {"unit": u.name}, code="invalid_unit", unit=u.pk
            )


@transaction.atomic
def dispatch(
    appeal: Appeal | int,
    *,
    actor,
    lead_unit: Unit,
    assist_units: Sequence[Unit] = (),
    note: str = "",
    auto: bool = False,
    **data: Any,
) -> Appeal:
    """派单: send to a lead unit and any assisting units (jointly). Also re-dispatch after a
    return, or before anyone claimed."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    guards.check_dispatch(actor, appeal)
    if lead_unit is None:
        raise InvalidInput(_("请选择主办单位"), code="required", field="lead_unit")
    assist_units = [u for u in assist_units or () if u.pk != lead_unit.pk]
    if len({u.pk for u in assist_units}) != len(assist_units):
        raise InvalidInput(_("协办单位重复"), code="duplicate_unit", field="assist_units")
    _check_handling_units([lead_unit, *assist_units])
    old = _move(appeal, Status.DISPATCHED)
    now = _common._now()
    Assignment.objects.filter(appeal=appeal, active=True).update(
        active=False, status=AssignmentStatus.WITHDRAWN
    )
    round_no = (Assignment.objects.filter(appeal=appeal).aggregate(m=Max("round"))["m"] or 0) + 1
    _set_dues(appeal, now)
    claim_due = appeal.claim_due_at
    Assignment.objects.bulk_create(
        [
            Assignment(
                appeal=appeal,
                unit=lead_unit,
                role=AssignmentRole.LEAD,
                round=round_no,
                dispatched_at=now,
                claim_due_at=claim_due,
            )
        ]
        + [
            Assignment(
                appeal=appeal,
                unit=u,
                role=AssignmentRole.ASSIST,
                round=round_no,
                dispatched_at=now,
                claim_due_at=claim_due,
            )
            for u in assist_units
        ]
    )
    appeal.lead_unit = lead_unit
    appeal.dispatched_at = now
    appeal.claimed_at = None
    appeal.contacted_at = None  # the (new) unit must reach the person itself
    appeal.extension_days = 0
    _sync_clock(appeal)
    appeal.save(
        update_fields=[
            "status",
            "lead_unit",
            "dispatched_at",
            "claimed_at",
            "contacted_at",
            "claim_due_at",
            "contact_due_at",
            "resolve_due_at",
            "extension_days",
            "current_step",
            "current_due_at",
            "updated_at",
        ]
    )
    _event(
        appeal,
        EventKind.AUTO_DISPATCH if auto else EventKind.DISPATCH,
        actor,
        from_status=old,
        to_status=Status.DISPATCHED,
        note=note,
        unit=lead_unit,
        lead=lead_unit.pk,
        lead_name=lead_unit.name,
        assist=[u.pk for u in assist_units],
        assist_names=[u.name for u in assist_units],
        round=round_no,
        **data,
    )
    notify_units(
        NotificationKind.DISPATCHED,
        appeal,
        [lead_unit.pk, *(u.pk for u in assist_units)],
        f"新派单：{appeal.subject}",
        f"请在{timezone.localtime(claim_due):%m-%d %H:%M}前签收",
        sms=appeal.urgency != Urgency.NORMAL,
    )
    return appeal


@transaction.atomic
def claim(appeal: Appeal | int, *, actor, unit_id: int | None = None) -> Assignment:
    """签收 / 认领: a unit accepts its share. Two people claiming at once: one wins (the appeal
    row lock serialises them; the second finds the share claimed: Conflict already_claimed)."""
    appeal = _lock(appeal, actor)
    shares = list(Assignment.objects.select_for_update().filter(appeal=appeal, active=True))
    assignment = guards.check_claim(
        actor, appeal, guards.ItemState(appeal, assignments=shares), unit_id
    )
    unit = assignment.unit_id
    now = _common._now()
    old = appeal.status
    if assignment.role == AssignmentRole.LEAD:
        _move(appeal, Status.IN_PROGRESS)
        appeal.claimed_at = now
        _sync_clock(appeal)
        appeal.save(update_fields=["status", "claimed_at", *CLOCK_FIELDS, "updated_at"])
    # Assisting units are judged on their claim too (the miss is kept per unit).
    _record_miss(appeal, Step.CLAIM, assignment.claim_due_at, unit, now)
    assignment.status = AssignmentStatus.CLAIMED
    assignment.claimed_at = now
    assignment.claimed_by = actor
    assignment.save(update_fields=["status", "claimed_at", "claimed_by"])
    _event(
        appeal,
        EventKind.CLAIM,
        actor,
        from_status=old,
        to_status=appeal.status,
        unit_id=unit,
        role=assignment.role,
        late=bool(assignment.claim_due_at and now > assignment.claim_due_at),
    )
    return assignment


@transaction.atomic
def return_appeal(appeal: Appeal | int, *, actor, reason: str) -> Appeal:
    """退单: the lead unit sends it back to the centre as not its business, with a reason."""
    appeal = _lock(appeal, actor)
    reason = _text(reason, "reason", _("退单理由"), min_len=4, max_len=1000)
    _require_status(
        appeal, Status.DISPATCHED, Status.IN_PROGRESS, message=_("只有待签收或办理中的诉求可以退单")
    )
    lead = _lead_assignment(appeal)
    unit = _acting_unit(actor, [lead.unit_id] if lead else [], None)
    old = _move(appeal, Status.RETURNED)
    Assignment.objects.filter(appeal=appeal, active=True).exclude(pk=lead.pk).update(
        active=False, status=AssignmentStatus.WITHDRAWN
    )
    lead.active = False
    lead.status = AssignmentStatus.RETURNED
    lead.note = reason
    lead.save(update_fields=["active", "status", "note"])
    appeal.return_count += 1
    appeal.lead_unit = None
    _sync_clock(appeal)
    _withdraw_extensions(appeal, "已退单，延期申请失效")
    appeal.save(
        update_fields=[
            "status",
            "return_count",
            "lead_unit",
            "current_step",
            "current_due_at",
            "updated_at",
        ]
    )
    _event(
        appeal,
        EventKind.RETURN,
        actor,
        from_status=old,
        to_status=Status.RETURNED,
        note=reason,
        unit_id=unit,
    )
    notify_roles(
        NotificationKind.RETURNED, appeal, [Role.DISPATCHER], f"退单：{appeal.subject}", reason
    )
    return appeal
