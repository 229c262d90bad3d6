"""Every change to opinion-collection points and service halls (意见征集点 / 服务大厅): the
configuration side of the appeals app (its state changes live in `actions.py`).

Each verb: keyword-only `actor` (an administrator, or None for the system), one transaction, the
row locked, the rules checked, saved with update_fields and an append-only `core.ConfigChange`
written in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.audit import (
    check_editable,
    clean_fields,
    delete_recorded,
    lock,
    record_created,
    require_active_owner,
    save_active,
    save_changes,
)
from minhu.core.errors import Conflict, InvalidInput
from minhu.orgs.actions import require_admin
from minhu.orgs.models import Unit

from .models import CollectionPoint

FIELDS = ("name", "code", "unit", "channel", "is_service_hall", "address", "active")
EDITABLE = set(FIELDS)


def _unit(value: Unit | int | None) -> Unit:
    if value is None or value == "":
        raise InvalidInput(_("请选择所属单位"), code="required", field="unit")
    pk = value.pk if isinstance(value, Unit) else value
    found = Unit.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("单位不存在"), code="not_found", field="unit")
    if not found.active:
        raise InvalidInput(
            _("「%(name)s」已停用") % {"name": found.name}, code="unit_inactive", field="unit"
        )
    return found


def _check_code(code: str, exclude_pk: int | None) -> None:
    if CollectionPoint.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise InvalidInput(
            _("该编码已被使用（二维码用编码区分征集点）"), code="duplicate_code", field="code"
        )


@transaction.atomic
def create_collection_point(
    *,
    actor,
    name: str,
    code: str,
    unit: Unit | int,
    channel: str = "h5",
    is_service_hall: bool = False,
    address: str = "",
    active: bool = True,
) -> CollectionPoint:
    """A point (or service hall) of an active unit; its QR code carries `code`."""
    require_admin(actor)
    values = clean_fields(
        CollectionPoint,
        {
            "name": name,
            "code": code,
            "channel": channel,
            "is_service_hall": bool(is_service_hall),
            "address": address or "",
            "active": active,
        },
    )
    owner = _unit(unit)
    _check_code(values["code"], None)
    point = CollectionPoint.objects.create(unit=owner, **values)
    record_created(actor, point, FIELDS)
    return point


@transaction.atomic
def update_collection_point(
    point: CollectionPoint | int, *, actor, **changes: Any
) -> CollectionPoint:
    """Change a point; `active` goes through `set_collection_point_active`. Changing the code
    invalidates the printed QR codes, which is why it is audited like every field."""
    require_admin(actor)
    check_editable(changes, EDITABLE)
    active = changes.pop("active", None)
    point = lock(CollectionPoint, point)
    plain = {k: v for k, v in changes.items() if k != "unit"}
    if "address" in plain and plain["address"] is None:
        plain["address"] = ""
    values = clean_fields(CollectionPoint, plain)
    if "unit" in changes and getattr(changes["unit"], "pk", changes["unit"]) != point.unit_id:
        owner = _unit(changes["unit"])
    else:
        owner = point.unit
    if "code" in values and values["code"] != point.code:
        _check_code(values["code"], point.pk)
    save_changes(actor, point, FIELDS[:-1], {**values, "unit": owner})
    if active is not None:
        set_collection_point_active(point, actor=actor, active=bool(active))
    point.refresh_from_db()
    return point


@transaction.atomic
def set_collection_point_active(
    point: CollectionPoint | int, *, actor, active: bool
) -> CollectionPoint:
    """A deactivated point's QR code no longer takes appeals; its appeals keep it. A point
    cannot be reactivated while its unit is deactivated."""
    require_admin(actor)
    point = lock(CollectionPoint, point)
    if point.active == active:
        return point
    if active:
        require_active_owner(
            Unit, point.unit_id, _("所属单位「%(name)s」已停用"), code="unit_inactive"
        )
    save_active(actor, point, active)
    return point


@transaction.atomic
def delete_collection_point(point: CollectionPoint | int, *, actor) -> None:
    """Remove a point no appeal came through (else Conflict `protected`: the appeals would
    lose where they came from; deactivate it instead)."""
    require_admin(actor)
    point = lock(CollectionPoint, point)
    if point.appeals.exists():
        raise Conflict(_("该征集点已有诉求，不能删除；请改为停用"), code="protected")
    delete_recorded(actor, point, FIELDS)
