"""Helpers shared by the verbs of every stage (see minhu.appeals.actions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput, NotFound
from minhu.core.phones import PHONE_RE as PHONE_RE  # re-exported to the loop's verbs
from minhu.deadlines.models import DeadlineMiss, Step
from minhu.deadlines.policies import due_at
from minhu.orgs.models import UNIT_ROLES, Unit

from .. import events, guards
from ..access import CENTRE_ROLES, access_appeal, lock_appeal  # noqa: F401  (re-exported)
from ..attachments import check_total, prepare_image
from ..kinds import PUBLIC_CHANNELS, kind_of  # noqa: F401  (PUBLIC_CHANNELS re-exported)
from ..models import (
    Appeal,
    AppealEvent,
    Assignment,
    AssignmentRole,
    Attachment,
    ExtensionRequest,
    ExtensionStatus,
)

# --- helpers --------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _iso(moment: dt.datetime | None) -> str | None:
    """A due time for an event's data: ISO 8601 in local (China) time."""
    return timezone.localtime(moment).isoformat() if moment else None


_actor_name = events.actor_name


def _event(
    appeal: Appeal,
    kind: str,
    actor,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    unit: Unit | None = None,
    unit_id: int | None = None,
    **data: Any,
) -> AppealEvent:
    """The verbs' way to the one event writer (minhu.appeals.events.write)."""
    return events.write(
        appeal,
        kind,
        actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
        unit=unit,
        unit_id=unit_id,
        actor_name_=data.pop("actor_name", None),
        **data,
    )


def _lock(appeal: Appeal | int, actor) -> Appeal:
    """Re-read and lock the appeal row. Staff see it only within their scope (else NotFound)."""
    return lock_appeal(actor, appeal)


def _require_centre(actor) -> None:
    guards.require_centre(actor)


def _acting_unit(actor, candidates: Iterable[int], unit_id: int | None, roles=UNIT_ROLES) -> int:
    """The unit (among `candidates`) for which `actor` acts (guards.acting_unit)."""
    return guards.acting_unit(actor, candidates, unit_id, roles)


def _move(appeal: Appeal, to: str) -> str:
    """Check the status move against the table; returns the old status."""
    guards.require_move(appeal, to)
    old = appeal.status
    appeal.status = to
    return old


def _require_status(appeal: Appeal, *statuses: str, message: str | None = None) -> None:
    guards.require_status(appeal, *statuses, message=message)


def _text(
    value: str | None, field: str, label: str, *, min_len: int = 1, max_len: int = 5000
) -> str:
    value = (value or "").strip()
    if len(value) < min_len:
        raise InvalidInput(
            _("请填写%(label)s") % {"label": label}
            if min_len <= 1
            else _("%(label)s至少%(min)d个字") % {"label": label, "min": min_len},
            code="required",
            field=field,
        )
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s不能超过%(max)d个字") % {"label": label, "max": max_len},
            code="too_long",
            field=field,
        )
    return value


def _record_miss(
    appeal: Appeal,
    step: str,
    due: dt.datetime | None,
    unit_id: int | None,
    done_at: dt.datetime | None,
) -> None:
    """Record that `step` (due at `due`) was missed by `unit_id`; `done_at` None: not done yet.
    Idempotent per (appeal, step, due, unit): the deadline sweep may have recorded it first."""
    if due is None or (done_at or _now()) <= due:
        return
    miss, created = DeadlineMiss.objects.get_or_create(
        appeal=appeal, step=step, due_at=due, unit_id=unit_id, defaults={"done_at": done_at}
    )
    if not created and done_at and not miss.done_at:
        miss.done_at = done_at
        miss.save(update_fields=["done_at"])


CLOCK_FIELDS = ["current_step", "current_due_at"]


def _sync_clock(appeal: Appeal) -> None:
    """Point the running clock at the earliest step still open (see Appeal.open_dues)."""
    dues = appeal.open_dues()
    appeal.current_step, appeal.current_due_at = dues[0] if dues else ("", None)


def _set_dues(appeal: Appeal, start: dt.datetime) -> None:
    """Claim, contact and resolve due times counted from `start` (the dispatch), for the steps
    the item's kind has. Items without a phone number (anonymous) have no contact step. A kind
    may set its own due times: `extra["due_at"](appeal, step, start)` (a decision's 完成期限, a
    service's time limit); None falls back to the time-limit policies."""
    kind = kind_of(appeal)
    steps, own = kind.steps, kind.extra.get("due_at")

    def due(step: str) -> dt.datetime | None:
        if step not in steps:
            return None
        return (own and own(appeal, step, start)) or due_at(
            step, start, appeal.category, appeal.urgency, appeal.kind
        )

    appeal.claim_due_at = due(Step.CLAIM)
    appeal.contact_due_at = due(Step.CONTACT) if appeal.appellant_phone else None
    appeal.resolve_due_at = due(Step.RESOLVE)
    # A kind may take its resolve deadline from its source record (a promise's own date):
    # extra["resolve_due"] is a callable (item, start) -> aware datetime, or None for the policy.
    fixed = kind_of(appeal).extra.get("resolve_due")
    if fixed is not None and appeal.resolve_due_at is not None:
        appeal.resolve_due_at = fixed(appeal, start) or appeal.resolve_due_at


def _withdraw_extensions(appeal: Appeal, why: str) -> None:
    """Pending extension requests lapse when the unit no longer handles the appeal."""
    ExtensionRequest.objects.filter(appeal=appeal, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.WITHDRAWN, decided_at=_now(), decision_note=why
    )


def _appeal_pk(value: Appeal | int) -> int:
    try:
        return int(value.pk if isinstance(value, Appeal) else value)
    except (TypeError, ValueError):
        raise NotFound()


def _lead_assignment(appeal: Appeal) -> Assignment | None:
    return (
        Assignment.objects.select_for_update()
        .filter(appeal=appeal, active=True, role=AssignmentRole.LEAD)
        .first()
    )


def _save_attachments(appeal: Appeal, files: Sequence, actor, by_handler: bool) -> list[Attachment]:
    """Every file checked and re-encoded first (attachments.prepare_image), then stored."""
    files = list(files or ())
    check_total(files)
    prepared = [prepare_image(f) for f in files]
    return [
        Attachment.objects.create(
            appeal=appeal,
            file=p.file,
            content_type=p.content_type,
            size=p.size,
            name=p.label,
            uploaded_by=actor,
            by_handler=by_handler,
        )
        for p in prepared
    ]
