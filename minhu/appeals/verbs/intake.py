"""Intake verbs: register, classify, merge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from minhu.categories.fields import clean_attributes
from minhu.core.errors import IllegalTransition, InvalidInput
from minhu.core.jobs import enqueue
from minhu.orgs.models import Unit, UnitKind

from .. import guards
from ..jobs import run_intake_hooks
from ..kinds import RESIDENT_APPEAL, get_kind
from ..models import (
    Appeal,
    AppellantKind,
    Assignment,
    AssignmentStatus,
    CollectionPoint,
    EventKind,
    Status,
    Urgency,
)
from . import _common
from ._common import (
    CLOCK_FIELDS,
    PHONE_RE,
    _actor_name,
    _appeal_pk,
    _event,
    _iso,
    _lock,
    _move,
    _require_centre,
    _save_attachments,
    _set_dues,
    _sync_clock,
    _text,
)


def _source_link(work_kind, source) -> tuple[str, str]:
    """(source_type, source_id) of `source`, checked against the kind's declared model."""
    if source is None:
        return "", ""
    label = source._meta.label
    if label != work_kind.source_model or source.pk is None:
        raise InvalidInput(_("来源记录与工单类型不符"), code="invalid_source", field="source")
    return label, str(source.pk)


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
    kind: str = RESIDENT_APPEAL,
    source=None,
    attributes: dict | None = None,
) -> Appeal:
    """受理: register a work item from any channel. Residents (actor None) only through public
    channels; staff through any. `kind` is a registered work-item kind (minhu.appeals.kinds;
    the resident appeal by default); `source` the record it comes from, an instance of the
    kind's `source_model`. `attributes`: values of the category's extra fields
    (minhu.categories.fields), validated here."""
    try:
        work_kind = get_kind(kind)
    except KeyError:
        raise InvalidInput(_("工单类型不正确"), code="invalid_choice", field="kind") from None
    source_type, source_id = _source_link(work_kind, source)
    guards.check_register(actor, channel, kind=work_kind, source=source)
    if appellant_kind not in AppellantKind.values:
        raise InvalidInput(_("诉求人类型不正确"), code="invalid_choice", field="appellant_kind")
    if urgency not in Urgency.values:
        raise InvalidInput(_("紧急程度不正确"), code="invalid_choice", field="urgency")
    subject = _text(subject, "subject", _("标题"), min_len=2, max_len=200)
    detail = _text(detail, "detail", _("诉求内容"), min_len=5, max_len=5000)
    phone = (appellant_phone or "").strip().replace(" ", "")
    if appellant_kind == AppellantKind.ANONYMOUS:
        appellant_name, phone, enterprise_name = "", "", ""
    elif not work_kind.needs_contact and not phone:
        pass  # a kind without an appellant to call (a meeting's decision, a visit problem)
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
    if attributes and category is None:
        raise InvalidInput(_("请先选择分类再填写附加信息"), code="required", field="category")
    attributes = clean_attributes(category, attributes) if category is not None else {}
    appeal = Appeal(
        kind=work_kind.code,
        source_type=source_type,
        source_id=source_id,
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
        attributes=attributes,
        created_at=created_at or _common._now(),
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
    # Routing as a job: stored with the appeal (procrastinate) or run after commit and after
    # the HTTP answer (inline backend).
    if getattr(settings, "MINHU_INTAKE_HOOKS", []):
        enqueue(run_intake_hooks, appeal_id=appeal.pk)
    return appeal


@transaction.atomic
def classify(
    appeal: Appeal | int,
    *,
    actor,
    category=None,
    urgency: str | None = None,
    grid: Unit | None = None,
    street: Unit | None = None,
    address: str | None = None,
    source: str = "manual",
    **data: Any,
) -> Appeal:
    """分类: set category, urgency and place before dispatch. The place is a grid (its street
    follows), or only a street/town when nothing finer is known (the appeal has no grid)."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    guards.check_classify(actor, appeal)
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
    elif street is not None and appeal.grid_id is None and street.pk != appeal.street_id:
        if street.kind not in (UnitKind.STREET, UnitKind.TOWN):
            raise InvalidInput(_("所选单位不是街道/镇"), code="invalid_street", field="street")
        changes["street"] = [appeal.street_id, street.pk]
        appeal.street = street
        fields.append("street")
    if address is not None and address.strip() != appeal.address:
        appeal.address = address.strip()[:200]
        changes["address"] = True
        fields.append("address")
    if not fields:
        return appeal
    if appeal.status == Status.DISPATCHED and {"category", "urgency"} & set(changes):
        # Not claimed yet: the time limits follow the new category/urgency from the dispatch.
        _set_dues(appeal, appeal.dispatched_at or _common._now())
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
    guards.check_merge(actor, child, guards.ItemState(child))
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
    if parent_obj.status == Status.REPLIED and parent_obj.replied_at is not None:
        # Merged after the parent was answered: the reply the others got is not coming again,
        # so this appellant gets theirs now (and so joins the parent's follow-up round).
        from .handling import answer_merged, sms_merged_reply

        answer_merged(
            child, parent_obj, actor=actor, unit_id=parent_obj.lead_unit_id, now=_common._now()
        )
        sms_merged_reply(child)
    return child
