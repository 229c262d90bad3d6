"""Every state change of an appeal. Each verb: keyword-only `actor`, one transaction, the appeal
row locked, its guard checked, fields saved with update_fields, and an append-only event written
in the same transaction. Views, API, admin, commands and tests all call these.

`actor` is a staff user, or None for the system and for residents acting through their
tracking code (those verbs check the code and phone instead)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.deadlines.models import DeadlineMiss, Step
from minhu.deadlines.policies import due_at
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import notify_roles, notify_units
from minhu.orgs.models import HANDLING_KINDS, WHISTLE_KINDS, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .access import CENTRE_ROLES, access_appeal, mask_phone
from .attachments import validate_image
from .models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    Channel,
    CollectionPoint,
    EventKind,
    ExtensionRequest,
    ExtensionStatus,
    FollowUp,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Status,
    Summons,
    SummonsStatus,
    Urgency,
    Whistle,
)

UNIT_ROLES = (Role.HANDLER, Role.UNIT_LEADER)
PUBLIC_CHANNELS = {Channel.H5, Channel.MINIPROGRAM, Channel.ENTERPRISE, Channel.QUESTIONNAIRE}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


# --- helpers --------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _iso(moment: dt.datetime | None) -> str | None:
    """A due time for an event's data: ISO 8601 in local (China) time."""
    return timezone.localtime(moment).isoformat() if moment else None


def _actor_name(actor) -> str:
    if actor is None:
        return "系统"
    return str(actor)


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
    event = AppealEvent.objects.create(
        appeal=appeal,
        kind=kind,
        actor=actor,
        actor_name=data.pop("actor_name", _actor_name(actor)),
        unit_id=unit.pk if unit else unit_id,
        from_status=from_status,
        to_status=to_status or from_status,
        note=note,
        data=data,
    )
    for path in getattr(settings, "MINHU_EVENT_HOOKS", []):
        hook = import_string(path)
        transaction.on_commit(lambda hook=hook: hook(event), robust=True)
    return event


def _lock(appeal: Appeal | int, actor) -> Appeal:
    """Re-read and lock the appeal row. Staff see it only within their scope (else NotFound)."""
    appeal_id = appeal.pk if isinstance(appeal, Appeal) else appeal
    if actor is not None:
        return access_appeal(actor, appeal_id, for_write=True)
    try:
        return Appeal.objects.select_for_update().get(pk=appeal_id)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _require_centre(actor) -> None:
    if actor is None:
        return
    if not scope_of(actor).has_role(*CENTRE_ROLES):
        raise PermissionDenied(_("只有调度中心可以执行此操作"))


def _acting_unit(actor, candidates: Iterable[int], unit_id: int | None, roles=UNIT_ROLES) -> int:
    """The unit (among `candidates`) for which `actor` acts. PermissionDenied if none."""
    candidates = set(candidates)
    mine = {u for u in candidates if scope_of(actor).roles_in(u) & set(roles)}
    if unit_id is not None:
        if unit_id not in mine:
            raise PermissionDenied(_("您不是该单位的承办人员"))
        return unit_id
    if not mine:
        raise PermissionDenied(_("您不是该诉求承办单位的人员"))
    if len(mine) > 1:
        raise InvalidInput(_("请指定以哪个单位的身份办理"), code="unit_required")
    return mine.pop()


def _move(appeal: Appeal, to: str) -> str:
    """Check the status move against the table; returns the old status."""
    if not appeal.can_move_to(to):
        raise IllegalTransition(
            _("诉求当前为「%(status)s」，不能变为「%(target)s」")
            % {"status": appeal.get_status_display(), "target": Status(to).label},
            from_status=appeal.status,
            to_status=to,
        )
    old = appeal.status
    appeal.status = to
    return old


def _require_status(appeal: Appeal, *statuses: str, message: str | None = None) -> None:
    if appeal.status not in statuses:
        raise IllegalTransition(
            message
            or _("诉求当前为「%(status)s」，不能执行此操作")
            % {"status": appeal.get_status_display()},
            status=appeal.status,
        )


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
    """Claim, contact and resolve due times counted from `start` (the dispatch). Appeals
    without a phone number (anonymous) have no contact step."""
    appeal.claim_due_at = due_at(Step.CLAIM, start, appeal.category, appeal.urgency)
    appeal.contact_due_at = (
        due_at(Step.CONTACT, start, appeal.category, appeal.urgency)
        if appeal.appellant_phone
        else None
    )
    appeal.resolve_due_at = due_at(Step.RESOLVE, start, appeal.category, appeal.urgency)


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
    saved = []
    for f in files or ():
        content_type = validate_image(f)
        saved.append(
            Attachment.objects.create(
                appeal=appeal,
                file=f,
                content_type=content_type,
                size=f.size,
                name=(getattr(f, "name", "") or "")[:200],
                uploaded_by=actor,
                by_handler=by_handler,
            )
        )
    return saved


def _run_intake_hooks(appeal_id: int) -> None:
    for path in getattr(settings, "MINHU_INTAKE_HOOKS", []):
        import_string(path)(appeal_id)


# --- intake ---------------------------------------------------------------------------------


@transaction.atomic
def register_appeal(
    *,
    actor,
    channel: str,
    subject: str,
    detail: str,
    appellant_kind: str = AppellantKind.PERSON,
    appellant_name: str = "",
    appellant_phone: str = "",
    enterprise_name: str = "",
    address: str = "",
    grid: Unit | None = None,
    latitude=None,
    longitude=None,
    category=None,
    urgency: str = Urgency.NORMAL,
    collection_point: CollectionPoint | None = None,
    about_unit: Unit | None = None,
    attachments: Sequence = (),
    created_at=None,
) -> Appeal:
    """受理: register an appeal from any channel. Residents (actor None) only through public
    channels; staff through any."""
    if channel not in Channel.values:
        raise InvalidInput(_("渠道不正确"), code="invalid_choice", field="channel")
    if actor is None and channel not in PUBLIC_CHANNELS:
        raise PermissionDenied(_("该渠道只能由工作人员登记"))
    if actor is not None and not scope_of(actor).has_role(
        Role.DISPATCHER, Role.ADMIN, Role.GRID_WORKER, Role.HANDLER, Role.UNIT_LEADER
    ):
        raise PermissionDenied(_("您无权登记诉求"))
    if appellant_kind not in AppellantKind.values:
        raise InvalidInput(_("诉求人类型不正确"), code="invalid_choice", field="appellant_kind")
    if urgency not in Urgency.values:
        raise InvalidInput(_("紧急程度不正确"), code="invalid_choice", field="urgency")
    subject = _text(subject, "subject", _("标题"), min_len=2, max_len=200)
    detail = _text(detail, "detail", _("诉求内容"), min_len=5, max_len=5000)
    phone = (appellant_phone or "").strip().replace(" ", "")
    if appellant_kind == AppellantKind.ANONYMOUS:
        appellant_name, phone, enterprise_name = "", "", ""
    else:
        if not phone:
            raise InvalidInput(
                _("请填写联系电话（或选择匿名）"), code="required", field="appellant_phone"
            )
        if not PHONE_RE.match(phone):
            raise InvalidInput(
                _("联系电话格式不正确"), code="invalid_phone", field="appellant_phone"
            )
    if appellant_kind == AppellantKind.ENTERPRISE and not enterprise_name.strip():
        raise InvalidInput(_("请填写企业名称"), code="required", field="enterprise_name")
    if grid is not None and grid.kind != UnitKind.GRID:
        raise InvalidInput(_("所选单位不是网格"), code="invalid_grid", field="grid")
    if (latitude is None) != (longitude is None):
        raise InvalidInput(_("经纬度需同时填写"), code="invalid_coordinates", field="latitude")
    if latitude is not None and not (
        -90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180
    ):
        raise InvalidInput(_("经纬度超出范围"), code="invalid_coordinates", field="latitude")
    if category is not None and not category.active:
        raise InvalidInput(_("该分类已停用"), code="invalid_category", field="category")
    appeal = Appeal(
        channel=channel,
        subject=subject,
        detail=detail,
        appellant_kind=appellant_kind,
        appellant_name=appellant_name.strip()[:60],
        appellant_phone=phone,
        enterprise_name=enterprise_name.strip()[:100],
        address=address.strip()[:200],
        grid=grid,
        street=grid.ancestor_of_kind(UnitKind.STREET, UnitKind.TOWN) if grid else None,
        latitude=latitude,
        longitude=longitude,
        category=category,
        urgency=urgency,
        collection_point=collection_point,
        about_unit=about_unit,
        registered_by=actor,
        created_at=created_at or _now(),
    )
    appeal.save()
    _save_attachments(appeal, attachments, actor, by_handler=False)
    _event(
        appeal,
        EventKind.REGISTER,
        actor,
        to_status=Status.NEW,
        actor_name=_actor_name(actor) if actor else "群众",
        channel=channel,
        attachments=len(attachments or ()),
    )
    transaction.on_commit(lambda: _run_intake_hooks(appeal.pk))
    return appeal


@transaction.atomic
def classify(
    appeal: Appeal | int,
    *,
    actor,
    category=None,
    urgency: str | None = None,
    grid: Unit | None = None,
    address: str | None = None,
    source: str = "manual",
    **data: Any,
) -> Appeal:
    """分类: set category, urgency and place before dispatch."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.NEW, Status.RETURNED, Status.DISPATCHED)
    changes: dict[str, Any] = {}
    fields = []
    if category is not None and category.pk != appeal.category_id:
        if not category.active:
            raise InvalidInput(_("该分类已停用"), code="invalid_category", field="category")
        changes["category"] = [appeal.category_id, category.pk]
        appeal.category = category
        fields.append("category")
    if urgency is not None and urgency != appeal.urgency:
        if urgency not in Urgency.values:
            raise InvalidInput(_("紧急程度不正确"), code="invalid_choice", field="urgency")
        changes["urgency"] = [appeal.urgency, urgency]
        appeal.urgency = urgency
        fields.append("urgency")
    if grid is not None and grid.pk != appeal.grid_id:
        if grid.kind != UnitKind.GRID:
            raise InvalidInput(_("所选单位不是网格"), code="invalid_grid", field="grid")
        changes["grid"] = [appeal.grid_id, grid.pk]
        appeal.grid = grid
        appeal.street = grid.ancestor_of_kind(UnitKind.STREET, UnitKind.TOWN)
        fields += ["grid", "street"]
    if address is not None and address.strip() != appeal.address:
        appeal.address = address.strip()[:200]
        changes["address"] = True
        fields.append("address")
    if not fields:
        return appeal
    if appeal.status == Status.DISPATCHED and {"category", "urgency"} & set(changes):
        # Not claimed yet: the time limits follow the new category/urgency from the dispatch.
        _set_dues(appeal, appeal.dispatched_at or _now())
        Assignment.objects.filter(
            appeal=appeal, active=True, status=AssignmentStatus.PENDING
        ).update(claim_due_at=appeal.claim_due_at)
        _sync_clock(appeal)
        fields += ["claim_due_at", "contact_due_at", "resolve_due_at", *CLOCK_FIELDS]
        data["new_due"] = _iso(appeal.current_due_at)
    appeal.save(update_fields=fields + ["updated_at"])
    _event(
        appeal,
        EventKind.CLASSIFY,
        actor,
        from_status=appeal.status,
        source=source,
        changes=changes,
        **data,
    )
    return appeal


@transaction.atomic
def merge(child: Appeal | int, *, actor, parent: Appeal | int, note: str = "") -> Appeal:
    """合并: the child follows the parent; its appellant gets the parent's answer and may rate."""
    _require_centre(actor)
    child_id, parent_id = _appeal_pk(child), _appeal_pk(parent)
    if child_id == parent_id:
        raise InvalidInput(_("不能合并到自身"), code="merge_self", field="parent")
    locked = {pk: _lock(pk, actor) for pk in sorted((child_id, parent_id))}
    child, parent_obj = locked[child_id], locked[parent_id]
    if parent_obj.status in (Status.MERGED, Status.CLOSED):
        raise IllegalTransition(
            _("目标诉求已合并或已销号，不能作为主诉求"), code="merge_target_closed"
        )
    if Appeal.objects.filter(parent=child).exists():
        raise IllegalTransition(
            _("该诉求已有合并进来的诉求，请先处理它们"), code="merge_has_children"
        )
    old = _move(child, Status.MERGED)
    child.parent = parent_obj
    _sync_clock(child)
    child.save(update_fields=["status", "parent", "current_step", "current_due_at", "updated_at"])
    Assignment.objects.filter(appeal=child, active=True).update(
        active=False, status=AssignmentStatus.WITHDRAWN
    )
    _event(
        child,
        EventKind.MERGED_INTO,
        actor,
        from_status=old,
        to_status=Status.MERGED,
        note=note,
        parent=parent_obj.code,
    )
    _event(
        parent_obj,
        EventKind.MERGE,
        actor,
        from_status=parent_obj.status,
        note=note,
        child=child.code,
    )
    return child


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
    if lead_unit is None:
        raise InvalidInput(_("请选择主办单位"), code="required", field="lead_unit")
    assist_units = [u for u in assist_units or () if u.pk != lead_unit.pk]
    if len({u.pk for u in assist_units}) != len(assist_units):
        raise InvalidInput(_("协办单位重复"), code="duplicate_unit", field="assist_units")
    _check_handling_units([lead_unit, *assist_units])
    old = _move(appeal, Status.DISPATCHED)
    now = _now()
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
    _require_status(
        appeal,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.ESCALATED,
        message=_("诉求当前为「%(status)s」，不能签收") % {"status": appeal.get_status_display()},
    )
    pending = {
        a.unit_id: a
        for a in Assignment.objects.select_for_update().filter(appeal=appeal, active=True)
    }
    unit = _acting_unit(actor, pending.keys(), unit_id)
    assignment = pending[unit]
    if assignment.status != AssignmentStatus.PENDING:
        raise Conflict(
            _("该工单已被签收"), code="already_claimed", claimed_by=str(assignment.claimed_by or "")
        )
    now = _now()
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


# --- extension ------------------------------------------------------------------------------


@transaction.atomic
def request_extension(appeal: Appeal | int, *, actor, days: int, reason: str) -> ExtensionRequest:
    """申请延期: the lead unit asks the centre for more working days."""
    appeal = _lock(appeal, actor)
    _require_status(
        appeal, Status.IN_PROGRESS, Status.ESCALATED, message=_("只有办理中的诉求可以申请延期")
    )
    unit = _acting_unit(actor, [appeal.lead_unit_id], None)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 30:
        raise InvalidInput(_("延期天数应为1至30个工作日"), code="invalid_days", field="days")
    reason = _text(reason, "reason", _("延期理由"), min_len=4, max_len=1000)
    if appeal.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise IllegalTransition(_("已有待审批的延期申请"), code="extension_pending")
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
    if ext.status != ExtensionStatus.PENDING:
        raise Conflict(
            _("该延期申请%(status)s，不能再审批") % {"status": ext.get_status_display()},
            code="extension_decided",
            status=ext.status,
        )
    _require_status(
        appeal, Status.IN_PROGRESS, Status.ESCALATED, message=_("诉求已不在办理中，不能审批延期")
    )
    note = (note or "").strip()
    if len(note) > 1000:
        raise InvalidInput(_("审批意见不能超过1000个字"), code="too_long", field="note")
    now = _now()
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


# --- whistle (吹哨报到) ------------------------------------------------------------------------


@transaction.atomic
def blow_whistle(
    appeal: Appeal | int, *, actor, departments: Sequence[Unit], reason: str
) -> Whistle:
    """吹哨: a street/town that cannot solve it alone summons district departments."""
    appeal = _lock(appeal, actor)
    _require_status(
        appeal, Status.IN_PROGRESS, Status.ESCALATED, message=_("只有办理中的诉求可以吹哨")
    )
    unit_id = _acting_unit(actor, [appeal.lead_unit_id], None)
    if appeal.lead_unit.kind not in WHISTLE_KINDS:
        raise PermissionDenied(_("只有街道、镇可以吹哨"), code="whistle_not_allowed")
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
    now = _now()
    whistle = Whistle.objects.create(
        appeal=appeal, unit_id=unit_id, reason=reason, raised_by=actor, raised_at=now
    )
    report_due = due_at(Step.REPORT, now, appeal.category, appeal.urgency)
    answer_due = due_at(Step.ANSWER, now, appeal.category, appeal.urgency)
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


def _my_summons(appeal: Appeal, actor, unit_id: int | None, status: str) -> Summons:
    """The actor's department's summons in `status` (the newest, if summoned more than once).
    Not summoned: PermissionDenied. Summoned, but not in that status: Conflict/IllegalTransition."""
    rows = list(Summons.objects.select_for_update().filter(appeal=appeal).order_by("-id"))
    scope = scope_of(actor)
    mine = {s.department_id for s in rows if scope.roles_in(s.department_id) & set(UNIT_ROLES)}
    if unit_id is not None and unit_id not in mine:
        raise PermissionDenied(_("您所在部门未被召集"))
    if not mine:
        raise PermissionDenied(_("您所在部门未被召集"))
    candidates = {unit_id} if unit_id is not None else mine
    ready = [s for s in rows if s.department_id in candidates and s.status == status]
    if len({s.department_id for s in ready}) > 1:
        raise InvalidInput(_("请指定以哪个部门的身份办理"), code="unit_required")
    if ready:
        return ready[0]
    latest = next(s for s in rows if s.department_id in candidates)
    if latest.status == SummonsStatus.CANCELLED:
        raise IllegalTransition(_("对本部门的召集已撤销"), code="summons_cancelled")
    if status == SummonsStatus.PENDING:
        raise Conflict(
            _("本部门已报到"), code="already_reported", reported_by=str(latest.reported_by or "")
        )
    if latest.status == SummonsStatus.PENDING:
        raise IllegalTransition(_("请先报到，再反馈"), code="not_reported")
    raise Conflict(_("本部门已反馈"), code="already_answered")


@transaction.atomic
def report_summons(
    appeal: Appeal | int, *, actor, share: str, unit_id: int | None = None
) -> Summons:
    """报到: a summoned department acknowledges and takes its share (照单全收)."""
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.ESCALATED, message=_("该诉求没有待报到的吹哨"))
    summons = _my_summons(appeal, actor, unit_id, SummonsStatus.PENDING)
    share = _text(share, "share", _("承担的任务"), min_len=2, max_len=2000)
    now = _now()
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
    _require_status(appeal, Status.ESCALATED, Status.IN_PROGRESS, message=_("该诉求当前不能反馈"))
    summons = _my_summons(appeal, actor, unit_id, SummonsStatus.REPORTED)
    answer = _text(answer, "answer", _("反馈内容"), min_len=2, max_len=5000)
    now = _now()
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
    _require_status(appeal, Status.ESCALATED, message=_("该诉求没有待报到的吹哨"))
    summons = (
        Summons.objects.select_for_update()
        .select_related("department", "whistle")
        .filter(pk=summons_id, appeal=appeal)
        .first()
    )
    if summons is None:
        raise NotFound()
    scope = scope_of(actor) if actor is not None else None
    if scope is not None and not (
        scope.has_role(*CENTRE_ROLES) or scope.roles_in(summons.whistle.unit_id) & set(UNIT_ROLES)
    ):
        raise PermissionDenied(_("只有吹哨的街道（乡镇）或调度中心可以撤销召集"))
    if summons.status == SummonsStatus.CANCELLED:
        raise Conflict(_("该召集已撤销"), code="already_cancelled")
    if summons.status != SummonsStatus.PENDING:
        raise IllegalTransition(_("该部门已报到，不能撤销召集"), code="already_reported")
    reason = _text(reason, "reason", _("撤销原因"), min_len=2, max_len=2000)
    now = _now()
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


# --- handling -------------------------------------------------------------------------------


def _working_units(appeal: Appeal) -> set[int]:
    units = set(
        Assignment.objects.filter(
            appeal=appeal, active=True, status=AssignmentStatus.CLAIMED
        ).values_list("unit_id", flat=True)
    )
    units |= set(
        Summons.objects.filter(appeal=appeal)
        .exclude(status__in=[SummonsStatus.PENDING, SummonsStatus.CANCELLED])
        .values_list("department_id", flat=True)
    )
    return units


@transaction.atomic
def contact_appellant(appeal: Appeal | int, *, actor, note: str) -> Appeal:
    """联系诉求人: the lead unit records that it reached the person."""
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.IN_PROGRESS, Status.ESCALATED)
    unit = _acting_unit(actor, [appeal.lead_unit_id], None)
    note = _text(note, "note", _("联系情况"), min_len=2, max_len=2000)
    now = _now()
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
    _require_status(appeal, Status.IN_PROGRESS, Status.ESCALATED)
    unit = _acting_unit(actor, _working_units(appeal), None)
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
    _require_status(
        appeal, Status.IN_PROGRESS, Status.ESCALATED, message=_("只有办理中的诉求可以办结")
    )
    unit = _acting_unit(actor, [appeal.lead_unit_id], None)
    if outcome_kind not in OutcomeKind.values:
        raise InvalidInput(_("请选择办理方式"), code="invalid_choice", field="outcome_kind")
    outcome = _text(outcome, "outcome", _("办理结果"), min_len=4)
    if outcome_kind == OutcomeKind.LONG_TERM:
        roadmap = _text(roadmap, "roadmap", _("路线图"))
        timetable = _text(timetable, "timetable", _("时间表"))
        explanation = _text(explanation, "explanation", _("向群众的解释说明"))
    if Summons.objects.filter(appeal=appeal, status=SummonsStatus.PENDING).exists():
        raise IllegalTransition(_("还有被召集部门未报到，不能办结"), code="summons_pending")
    now = _now()
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
        on_time=bool(appeal.resolve_due_at and now <= appeal.resolve_due_at),
        attachments=[f.pk for f in files],
    )
    return appeal


@transaction.atomic
def reply(appeal: Appeal | int, *, actor, text: str) -> Appeal:
    """答复: tell the appellant (and every merged appellant) the result."""
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.RESOLVED, message=_("只有已办理的诉求可以答复"))
    unit = _acting_unit(actor, [appeal.lead_unit_id], None)
    text = _text(text, "text", _("答复内容"), min_len=10, max_len=5000)
    now = _now()
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
    children = list(Appeal.objects.select_for_update().filter(parent=appeal))
    for child in children:
        child.reply, child.replied_at = text, now
        child.save(update_fields=["reply", "replied_at", "updated_at"])
        _event(
            child,
            EventKind.REPLY,
            actor,
            from_status=child.status,
            note=text,
            unit_id=unit,
            via_parent=appeal.code,
        )
    _sms_appellants([appeal, *children], f"您的诉求已答复：{text[:60]}")
    return appeal


def _sms_appellants(appeals: Sequence[Appeal], text: str) -> None:
    from minhu.notifications.models import Notification, NotificationChannel

    Notification.objects.bulk_create(
        [
            Notification(
                kind=NotificationKind.REPLIED,
                channel=NotificationChannel.SMS,
                phone=a.appellant_phone,
                appeal=a,
                title=f"诉求{a.code}",
                body=text,
            )
            for a in appeals
            if a.appellant_phone
        ]
    )


# --- follow-up, rating, reopen, close -------------------------------------------------------


def _current_round_follow_ups(appeal: Appeal):
    return FollowUp.objects.filter(appeal=appeal, round=appeal.reopen_count)


def _after_answer(appeal: Appeal, follow_up: FollowUp, actor) -> None:
    bad = follow_up.satisfaction == Satisfaction.UNSATISFIED or follow_up.solved is False
    if not bad:
        return
    if appeal.reopen_count >= settings.MINHU_MAX_REOPENS:
        # Reopened often enough: it stays answered and a leader decides (the centre may still
        # reopen it by hand).
        notify_units(
            NotificationKind.BADLY_RATED,
            appeal,
            [appeal.lead_unit_id],
            f"群众不满意：{appeal.subject}",
            follow_up.comment,
        )
    else:
        _reopen(
            appeal,
            actor,
            reason=f"群众评价：{follow_up.get_satisfaction_display() or '未解决'}"
            f"{'，' + follow_up.comment if follow_up.comment else ''}",
            automatic=True,
        )


@transaction.atomic
def record_follow_up(
    appeal: Appeal | int,
    *,
    actor,
    reached: bool = True,
    contacted: bool | None = None,
    solved: bool | None = None,
    satisfaction: str = "",
    comment: str = "",
    source: str = FollowUpSource.CALLBACK,
) -> FollowUp:
    """回访: the callback operator asks contacted? solved? satisfied? Unsolved or unsatisfied
    answers reopen the appeal (up to MINHU_MAX_REOPENS times)."""
    if actor is None or not scope_of(actor).has_role(Role.DISPATCHER, Role.CALLBACK, Role.ADMIN):
        raise PermissionDenied(_("只有回访员或调度中心可以回访"))
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.REPLIED, message=_("只有已答复的诉求可以回访"))
    if source not in (FollowUpSource.CALLBACK, FollowUpSource.VISIT):
        raise InvalidInput(_("回访方式不正确"), code="invalid_choice", field="source")
    if reached:
        if contacted is None or solved is None or satisfaction not in Satisfaction.values:
            raise InvalidInput(_("请完整填写三项回访结果"), code="required", field="satisfaction")
    else:
        contacted, solved, satisfaction = None, None, ""
    fu = FollowUp.objects.create(
        appeal=appeal,
        source=source,
        unit_id=appeal.lead_unit_id,
        round=appeal.reopen_count,
        reached=reached,
        contacted=contacted,
        solved=solved,
        satisfaction=satisfaction,
        comment=(comment or "").strip()[:2000],
        actor=actor,
    )
    if reached:
        appeal.satisfaction, appeal.solved = satisfaction, solved
        appeal.save(update_fields=["satisfaction", "solved", "updated_at"])
    _event(
        appeal,
        EventKind.FOLLOW_UP,
        actor,
        from_status=appeal.status,
        note=comment,
        follow_up=fu.pk,
        reached=reached,
        contacted=contacted,
        solved=solved,
        satisfaction=satisfaction,
    )
    if reached:
        _after_answer(appeal, fu, actor)
    return fu


def check_appellant(appeal: Appeal, phone: str | None) -> None:
    """Named appeals are only shown or rated with the phone they were filed with."""
    if appeal.appellant_kind == AppellantKind.ANONYMOUS:
        return
    if (phone or "").strip().replace(" ", "") != appeal.appellant_phone:
        raise NotFound(_("查询码或手机号不正确"))


@transaction.atomic
def rate(
    code: str,
    *,
    actor=None,
    phone: str | None = None,
    satisfaction: str,
    solved: bool | None = None,
    comment: str = "",
) -> FollowUp:
    """群众评价: the appellant rates the answer through their tracking code. 不满意 reopens."""
    try:
        target = Appeal.objects.select_for_update().get(code=(code or "").strip().upper())
    except Appeal.DoesNotExist:
        raise NotFound(_("查询码或手机号不正确"))
    check_appellant(target, phone)
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(_("请选择满意度"), code="required", field="satisfaction")
    appeal = (
        Appeal.objects.select_for_update().get(pk=target.parent_id) if target.parent_id else target
    )
    if appeal.status != Status.REPLIED or not target.replied_at:
        raise IllegalTransition(_("诉求答复后才能评价"), code="not_replied")
    if FollowUp.objects.filter(
        appeal=appeal,
        round=appeal.reopen_count,
        source=FollowUpSource.RESIDENT,
        rated_appeal=target if target.pk != appeal.pk else None,
    ).exists():
        raise IllegalTransition(_("您已评价过本次办理"), code="already_rated")
    if solved is None:
        solved = satisfaction != Satisfaction.UNSATISFIED
    fu = FollowUp.objects.create(
        appeal=appeal,
        rated_appeal=target if target.pk != appeal.pk else None,
        source=FollowUpSource.RESIDENT,
        unit_id=appeal.lead_unit_id,
        round=appeal.reopen_count,
        reached=True,
        solved=solved,
        satisfaction=satisfaction,
        comment=comment.strip()[:2000],
    )
    target.satisfaction, target.solved = satisfaction, solved
    target.save(update_fields=["satisfaction", "solved", "updated_at"])
    _event(
        target,
        EventKind.RATE,
        None,
        from_status=target.status,
        note=comment,
        actor_name="群众",
        satisfaction=satisfaction,
        solved=solved,
        follow_up=fu.pk,
    )
    if target.pk != appeal.pk:
        _event(
            appeal,
            EventKind.RATE,
            None,
            from_status=appeal.status,
            note=comment,
            actor_name="群众",
            satisfaction=satisfaction,
            solved=solved,
            follow_up=fu.pk,
            via_child=target.code,
        )
    _after_answer(appeal, fu, None)
    return fu


def _reopen(appeal: Appeal, actor, *, reason: str, automatic: bool = False) -> Appeal:
    old = _move(appeal, Status.IN_PROGRESS)
    now = _now()
    appeal.reopen_count += 1
    appeal.resolve_due_at = due_at(Step.RESOLVE, now, appeal.category, appeal.urgency)
    appeal.resolved_at = None
    appeal.replied_at = None
    _sync_clock(appeal)
    appeal.save(
        update_fields=[
            "status",
            "reopen_count",
            "resolve_due_at",
            "resolved_at",
            "replied_at",
            "current_step",
            "current_due_at",
            "updated_at",
        ]
    )
    Assignment.objects.filter(appeal=appeal, active=True, role=AssignmentRole.LEAD).update(
        status=AssignmentStatus.CLAIMED
    )
    _event(
        appeal,
        EventKind.REOPEN,
        actor,
        from_status=old,
        to_status=Status.IN_PROGRESS,
        note=reason,
        unit_id=appeal.lead_unit_id,
        automatic=automatic,
        reopen_count=appeal.reopen_count,
    )
    notify_units(
        NotificationKind.BADLY_RATED,
        appeal,
        [appeal.lead_unit_id],
        f"重办：{appeal.subject}",
        reason,
        sms=True,
    )
    return appeal


@transaction.atomic
def reopen(appeal: Appeal | int, *, actor, reason: str) -> Appeal:
    """重办: the centre sends a resolved or replied appeal back to the lead unit."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    _require_status(
        appeal, Status.RESOLVED, Status.REPLIED, message=_("只有已办理或已答复的诉求可以重办")
    )
    reason = _text(reason, "reason", _("重办理由"), min_len=4, max_len=2000)
    return _reopen(appeal, actor, reason=reason)


@transaction.atomic
def close(appeal: Appeal | int, *, actor, note: str = "") -> Appeal:
    """销号: tick it off the ledger once the appellant was followed up."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    _require_status(appeal, Status.REPLIED, message=_("只有已答复的诉求可以销号"))
    answers = list(_current_round_follow_ups(appeal).filter(reached=True))
    if not answers and not _current_round_follow_ups(appeal).filter(reached=False).count() >= 3:
        raise IllegalTransition(
            _("尚未回访，不能销号（三次未接通可销号）"), code="follow_up_required"
        )
    now = _now()
    old = _move(appeal, Status.CLOSED)
    appeal.closed_at = now
    _sync_clock(appeal)
    appeal.save(
        update_fields=["status", "closed_at", "current_step", "current_due_at", "updated_at"]
    )
    _event(appeal, EventKind.CLOSE, actor, from_status=old, to_status=Status.CLOSED, note=note)
    for child in Appeal.objects.select_for_update().filter(parent=appeal):
        child.closed_at = now
        child.save(update_fields=["closed_at", "updated_at"])
        _event(
            child,
            EventKind.CLOSE,
            actor,
            from_status=child.status,
            note=note,
            via_parent=appeal.code,
        )
    return appeal


@transaction.atomic
def add_attachments(appeal: Appeal | int, *, actor, files: Sequence) -> list[Attachment]:
    """Photos added by a unit working on the appeal."""
    appeal = _lock(appeal, actor)
    if not appeal.is_open:
        raise IllegalTransition(_("诉求已结束，不能再上传附件"))
    unit = _acting_unit(actor, _working_units(appeal) | {appeal.lead_unit_id}, None)
    if not files:
        raise InvalidInput(_("请选择图片"), code="required", field="files")
    saved = _save_attachments(appeal, files, actor, by_handler=True)
    _event(
        appeal,
        EventKind.ATTACH,
        actor,
        from_status=appeal.status,
        unit_id=unit,
        attachments=[a.pk for a in saved],
    )
    return saved


# Descriptive fields an administrator may correct (typos, a wrong phone number). Category,
# urgency, place and everything about the loop change only through the verbs above.
EDITABLE_FIELDS = (
    "subject",
    "detail",
    "address",
    "appellant_name",
    "appellant_phone",
    "enterprise_name",
    "latitude",
    "longitude",
    "collection_point",
    "about_unit",
)


@transaction.atomic
def edit_details(appeal: Appeal | int, *, actor, note: str = "", **changes: Any) -> Appeal:
    """修改信息: the centre corrects descriptive fields (EDITABLE_FIELDS). The event records
    which fields changed and their old values."""
    _require_centre(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("这些字段不能在此修改：%(fields)s") % {"fields": _("、").join(sorted(unknown))},
            code="not_editable",
        )
    appeal = _lock(appeal, actor)
    if "subject" in changes:
        changes["subject"] = _text(changes["subject"], "subject", _("标题"), min_len=2, max_len=200)
    if "detail" in changes:
        changes["detail"] = _text(changes["detail"], "detail", _("诉求内容"), min_len=5)
    for name, size in (("address", 200), ("appellant_name", 60), ("enterprise_name", 100)):
        if name in changes:
            changes[name] = (changes[name] or "").strip()[:size]
    if "appellant_phone" in changes:
        phone = (changes["appellant_phone"] or "").strip().replace(" ", "")
        if appeal.appellant_kind == AppellantKind.ANONYMOUS and phone:
            raise InvalidInput(_("匿名诉求不能填写电话"), code="anonymous", field="appellant_phone")
        if appeal.appellant_kind != AppellantKind.ANONYMOUS and not PHONE_RE.match(phone):
            raise InvalidInput(
                _("联系电话格式不正确"), code="invalid_phone", field="appellant_phone"
            )
        changes["appellant_phone"] = phone
    lat = changes.get("latitude", appeal.latitude)
    lon = changes.get("longitude", appeal.longitude)
    if (lat is None) != (lon is None):
        raise InvalidInput(_("经纬度需同时填写"), code="invalid_coordinates", field="latitude")
    if lat is not None and not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        raise InvalidInput(_("经纬度超出范围"), code="invalid_coordinates", field="latitude")
    old: dict[str, Any] = {}
    for name, value in changes.items():
        attname = Appeal._meta.get_field(name).attname
        current = getattr(appeal, attname)
        new = value.pk if hasattr(value, "pk") else value
        if current != new:
            old[name] = current if isinstance(current, (str, int, type(None))) else str(current)
            setattr(appeal, attname, new)
    if "appellant_phone" in old:
        # Events are shown to units that may not see the appellant's phone: keep it masked.
        old["appellant_phone"] = mask_phone(old["appellant_phone"] or "")
    if not old:
        return appeal
    appeal.save(update_fields=[Appeal._meta.get_field(n).attname for n in old] + ["updated_at"])
    _event(
        appeal,
        EventKind.EDIT,
        actor,
        from_status=appeal.status,
        note=(note or "").strip()[:500],
        fields=sorted(old),
        old=old,
    )
    return appeal
