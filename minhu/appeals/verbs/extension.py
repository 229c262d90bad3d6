"""Extension verbs: request and decide a longer time limit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput, NotFound
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import notify_roles, notify_units
from minhu.orgs.models import Role

from .. import guards
from ..models import (
    Appeal,
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
)
from . import _common
from ._common import (
    CLOCK_FIELDS,
    _event,
    _iso,
    _lock,
    _require_centre,
    _sync_clock,
    _text,
)

# --- extension ------------------------------------------------------------------------------


@transaction.atomic
def request_extension(appeal: Appeal | int, *, actor, days: int, reason: str) -> ExtensionRequest:
    """申请延期: the lead unit asks the centre for more working days."""
    appeal = _lock(appeal, actor)
    unit = guards.check_request_extension(actor, appeal, guards.ItemState(appeal))
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 30:
        raise InvalidInput(_("延期天数应为1至30个工作日"), code="invalid_days", field="days")
    reason = _text(reason, "reason", _("延期理由"), min_len=4, max_len=1000)
    ext = ExtensionRequest.objects.create(
        appeal=appeal, unit_id=unit, days=days, reason=reason, requested_by=actor
    )
    _event(
        appeal,
        EventKind.EXTENSION_REQUEST,
        actor,
        from_status=appeal.status,
        note=reason,
        unit_id=unit,
        days=days,
        extension=ext.pk,
    )
    notify_roles(
        NotificationKind.EXTENSION,
        appeal,
        [Role.DISPATCHER],
        f"延期申请：{appeal.subject}",
        f"申请延期{days}个工作日：{reason}",
    )
    return ext


@transaction.atomic
def decide_extension(
    extension: ExtensionRequest | int, *, actor, approve: bool, note: str = ""
) -> ExtensionRequest:
    """批准 / 驳回延期. Approval moves the resolve due time by the working days asked."""
    _require_centre(actor)
    ext_id = extension.pk if isinstance(extension, ExtensionRequest) else extension
    try:
        appeal_id = ExtensionRequest.objects.values_list("appeal_id", flat=True).get(pk=ext_id)
    except ExtensionRequest.DoesNotExist:
        raise NotFound()
    appeal = _lock(appeal_id, actor)
    ext = ExtensionRequest.objects.select_for_update().get(pk=ext_id)
    guards.check_decide_extension(actor, appeal, guards.ItemState(appeal, extensions=[ext]), ext)
    note = (note or "").strip()
    if len(note) > 1000:
        raise InvalidInput(_("审批意见不能超过1000个字"), code="too_long", field="note")
    if not approve and not note:
        # The unit must learn why it has to finish on the old date.
        raise InvalidInput(_("驳回延期申请须填写理由"), code="reason_required", field="note")
    now = _common._now()
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, now, note.strip()
    ext.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    data: dict[str, Any] = {"extension": ext.pk, "days": ext.days}
    if approve:
        from minhu.deadlines.calendar import add_working_days

        old_due = appeal.resolve_due_at
        appeal.resolve_due_at = add_working_days(old_due or now, ext.days)
        appeal.extension_days += ext.days
        _sync_clock(appeal)
        appeal.save(update_fields=["resolve_due_at", "extension_days", *CLOCK_FIELDS, "updated_at"])
        data.update(
            old_due=_iso(old_due),
            new_due=_iso(appeal.resolve_due_at),
        )
    _event(
        appeal,
        EventKind.EXTENSION_APPROVE if approve else EventKind.EXTENSION_DENY,
        actor,
        from_status=appeal.status,
        note=note,
        unit_id=ext.unit_id,
        **data,
    )
    notify_units(
        NotificationKind.EXTENSION,
        appeal,
        [ext.unit_id],
        f"延期申请{'已批准' if approve else '被驳回'}：{appeal.subject}",
        note,
    )
    return ext
