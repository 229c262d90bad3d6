"""The registry's verbs. Each is atomic, takes a keyword-only `actor`, locks the row it changes,
checks its guard, saves with `update_fields` and appends a `RegistryChange` row (personal values
masked) in the same transaction. Views, the import, the demo and tests all call these."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core import audit
from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.core.jobs import enqueue
from minhu.orgs.models import Role, Unit, UnitKind

from . import access, keys, personal
from .models import (
    Building,
    CadreLink,
    CadreTier,
    ChangeAction,
    Estate,
    Household,
    HouseholdTag,
    ImportStatus,
    RegistryChange,
    RegistryImport,
    Resident,
    Shop,
    Unmasking,
)

ESTATE_FIELDS = ["name", "kind", "address", "active"]
BUILDING_FIELDS = ["estate", "name", "unit_count", "floor_count", "unmanaged", "active"]
HOUSEHOLD_FIELDS = [
    "estate",
    "building",
    "unit_no",
    "room",
    "address",
    "head_name",
    "phone",
    "member_count",
    "tags",
    "active",
]
RESIDENT_FIELDS = ["name", "gender", "birth_year", "phone", "relation", "active"]
SHOP_FIELDS = [
    "building",
    "name",
    "operator",
    "business_type",
    "phone",
    "licence_no",
    "address",
    "active",
]
# Values the change log keeps masked.
MASKED = {"phone": personal.mask_phone, "id_number": personal.mask_id}


def _masked(changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    out = {}
    for name, pair in changes.items():
        mask = MASKED.get(name)
        out[name] = [mask(v) if (mask and v) else v for v in pair] if mask else pair
    return out


def record(actor, obj, action: str, changes: Mapping[str, Any], source: str = "") -> RegistryChange:
    return RegistryChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        model=type(obj)._meta.model_name,
        object_id=obj.pk,
        action=action,
        changes=_masked(changes),
        source=source[:60],
    )


def _grid(actor, grid: Unit | int) -> Unit:
    gid = grid.pk if isinstance(grid, Unit) else grid
    if actor is not None and not access.grids_visible_to(actor).filter(id=gid).exists():
        raise NotFound()
    try:
        unit = Unit.objects.get(pk=gid, kind=UnitKind.GRID)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(_("请选择网格"), code="grid_required", field="grid")
    if actor is not None and not access.may_edit(actor, unit.pk):
        raise PermissionDenied(_("您无权修改该网格的台账"))
    return unit


def _clean(model, values: Mapping[str, Any]) -> dict[str, Any]:
    return audit.clean_fields(model, values)


ID_COLUMNS = ["id_number_enc", "id_masked", "id_hash", "birth_year", "gender"]


def _apply(
    obj, values: Mapping[str, Any], fields: list[str], *, actor, source: str, extra=None
) -> dict:
    """Assign `values`, save what changed (update_fields) and record it. New rows: create.
    `extra` is a change the snapshot cannot see (a resident's new ID number, masked)."""
    new = obj.pk is None
    before = {} if new else audit.snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean(
        exclude=["key", "grid", "household", "estate", "building"], validate_unique=False
    )
    after = audit.snapshot(obj, fields)
    if new:
        obj.save()
        changes = {**audit.created(after), **(extra or {})}
        record(actor, obj, ChangeAction.CREATE, changes, source)
        return changes
    changes = {**audit.diff(before, after), **(extra or {})}
    if changes:
        obj.updated_at = timezone.now()
        columns = set(audit.db_fields(type(obj), changes))
        if "id_number" in changes:
            columns |= set(ID_COLUMNS)
        obj.save(update_fields=[*sorted(columns), "updated_at"])
        action = (
            ChangeAction.DEACTIVATE
            if changes.get("active") == [True, False]
            else ChangeAction.UPDATE
        )
        record(actor, obj, action, changes, source)
    return changes


def _check_in_grid(grid: Unit, **related) -> None:
    for name, obj in related.items():
        if obj is not None and obj.grid_id != grid.pk:
            raise InvalidInput(_("所选记录不属于该网格"), code="wrong_grid", field=name)


def clean_tags(tags) -> str:
    if isinstance(tags, str):
        tags = [t for t in tags.replace("，", ",").replace("、", ",").split(",") if t.strip()]
    valid = {c for c, _l in HouseholdTag.choices}
    labels = {str(label): c for c, label in HouseholdTag.choices}
    codes = []
    for t in tags:
        t = t.strip()
        code = t if t in valid else labels.get(t)
        if code is None:
            raise InvalidInput(_("未知的标签：%(t)s") % {"t": t}, code="unknown_tag", field="tags")
        codes.append(code)
    return Household.encode_tags(codes)


# --- estates and buildings ------------------------------------------------------------------


@transaction.atomic
def save_estate(
    estate: Estate | int | None = None, *, actor, grid=None, source: str = "", **values
) -> Estate:
    if estate is None:
        unit = _grid(actor, grid)
        values = _clean(Estate, values)
        obj = Estate(grid=unit, key=keys.estate_key(unit.code, values.get("name", "")))
    else:
        obj = audit.lock(Estate, estate)
        unit = _grid(actor, obj.grid_id)
        values = _clean(Estate, values)
    _apply(obj, values, ESTATE_FIELDS, actor=actor, source=source)
    return obj


@transaction.atomic
def save_building(
    building: Building | int | None = None, *, actor, grid=None, source: str = "", **values
) -> Building:
    values = _clean(Building, values)
    if building is None:
        unit = _grid(actor, grid)
        estate = values.get("estate")
        if estate is None:
            raise InvalidInput(_("请选择小区/自然村"), code="estate_required", field="estate")
        _check_in_grid(unit, estate=estate)
        obj = Building(grid=unit, key=keys.building_key(unit.code, estate.name, values["name"]))
    else:
        obj = audit.lock(Building, building)
        unit = _grid(actor, obj.grid_id)
        _check_in_grid(unit, estate=values.get("estate"))
    _apply(obj, values, BUILDING_FIELDS, actor=actor, source=source)
    return obj


# --- households, residents, shops -----------------------------------------------------------


@transaction.atomic
def save_household(
    household: Household | int | None = None, *, actor, grid=None, source: str = "", **values
) -> Household:
    if "tags" in values:
        values["tags"] = clean_tags(values["tags"])
    key = values.pop("key", None)
    values = _clean(Household, values)
    if household is None:
        unit = _grid(actor, grid)
        building, estate = values.get("building"), values.get("estate")
        if building is not None and estate is None:
            values["estate"] = estate = building.estate
        _check_in_grid(unit, building=building, estate=estate)
        obj = Household(
            grid=unit,
            key=key
            or keys.household_key(
                unit.code,
                estate_name=estate.name if estate else "",
                building_name=building.name if building else "",
                unit_no=values.get("unit_no", ""),
                room=values.get("room", ""),
                address=values.get("address", ""),
            ),
        )
    else:
        obj = audit.lock(Household, household)
        unit = _grid(actor, obj.grid_id)
        _check_in_grid(unit, building=values.get("building"), estate=values.get("estate"))
    _apply(obj, values, HOUSEHOLD_FIELDS, actor=actor, source=source)
    return obj


def _id_values(id_number: str | None) -> dict[str, Any]:
    if id_number is None:
        return {}
    if not id_number.strip():
        return {"id_number_enc": "", "id_masked": "", "id_hash": ""}
    problem = personal.id_problem(id_number)
    if problem:
        raise InvalidInput(problem, code="invalid_id_number", field="id_number")
    return {
        "id_number_enc": personal.encrypt_id(id_number),
        "id_masked": personal.mask_id(id_number),
        "id_hash": personal.id_hash(id_number),
        "birth_year": personal.birth_year_of(id_number),
        "gender": personal.gender_of(id_number),
    }


@transaction.atomic
def save_resident(
    resident: Resident | int | None = None,
    *,
    actor,
    household: Household | int | None = None,
    id_number: str | None = None,
    source: str = "",
    **values,
) -> Resident:
    values = _clean(Resident, values)
    ids = _id_values(id_number)
    if resident is None:
        hh = audit.lock(Household, household)
        _grid(actor, hh.grid_id)
        obj = Resident(
            household=hh,
            key=keys.resident_key(
                hh.key, id_hash=ids.get("id_hash", ""), name=values.get("name", "")
            ),
        )
    else:
        obj = audit.lock(Resident, resident)
        _grid(actor, obj.household.grid_id)
    extra = {}
    if ids and ids["id_hash"] != obj.id_hash:
        # The log shows the masked number, never the hash or the token.
        extra = {"id_number": [obj.id_masked or None, ids["id_masked"] or None]}
        values = {**values, **ids}
    _apply(obj, values, RESIDENT_FIELDS, actor=actor, source=source, extra=extra)
    return obj


@transaction.atomic
def save_shop(
    shop: Shop | int | None = None, *, actor, grid=None, source: str = "", **values
) -> Shop:
    values = _clean(Shop, values)
    if shop is None:
        unit = _grid(actor, grid)
        _check_in_grid(unit, building=values.get("building"))
        obj = Shop(
            grid=unit,
            key=keys.shop_key(
                unit.code, licence_no=values.get("licence_no", ""), name=values.get("name", "")
            ),
        )
    else:
        obj = audit.lock(Shop, shop)
        _grid(actor, obj.grid_id)
        _check_in_grid(Unit(pk=obj.grid_id), building=values.get("building"))
    _apply(obj, values, SHOP_FIELDS, actor=actor, source=source)
    return obj


# --- personal data --------------------------------------------------------------------------

REVEALABLE = {
    ("resident", "id_number"),
    ("resident", "phone"),
    ("household", "phone"),
    ("shop", "phone"),
}


@transaction.atomic
def reveal(*, actor, model: str, pk: int, field: str, reason: str) -> str:
    """The unmasked value of one personal field, for a user who may edit the record, with a
    reason; every call appends an `Unmasking` row (who, when, which record, why)."""
    if (model, field) not in REVEALABLE:
        raise InvalidInput(_("该字段不能查看明文"), code="not_revealable", field="field")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(_("请填写查看原因"), code="reason_required", field="reason")
    obj = access.access(actor, model, pk, for_write=True)
    value = personal.decrypt_id(obj.id_number_enc) if field == "id_number" else obj.phone
    Unmasking.objects.create(
        actor=actor, model=model, object_id=obj.pk, field=field, reason=reason[:200]
    )
    return value


# --- cadre links ----------------------------------------------------------------------------


@transaction.atomic
def link_cadre(
    household: Household | int, *, actor, cadre, tier: str, unit: Unit, source: str = ""
) -> CadreLink:
    hh = audit.lock(Household, household)
    if actor is not None:
        _grid(actor, hh.grid_id)
    check_link(hh.grid, cadre=cadre, tier=tier, unit=unit)
    current = (
        CadreLink.objects.select_for_update().filter(household=hh, ended_at__isnull=True).first()
    )
    if current is not None:
        if current.cadre_id == cadre.pk and current.tier == tier and current.unit_id == unit.pk:
            return current
        current.ended_at = timezone.now()
        current.end_reason = _("调整联户")
        current.save(update_fields=["ended_at", "end_reason"])
    link = CadreLink.objects.create(household=hh, cadre=cadre, tier=tier, unit=unit)
    record(
        actor,
        hh,
        ChangeAction.LINK,
        {"cadre": [current.cadre_id if current else None, cadre.pk], "tier": [None, tier]},
        source,
    )
    return link


def check_link(grid: Unit, *, cadre, tier: str, unit: Unit) -> None:
    """The guard of `link_cadre` (the page offers the same list): the cadre is one of the
    grid's candidates in that tier and unit (`assignment.candidates`)."""
    from . import assignment

    if tier not in CadreTier.values:
        raise InvalidInput(_("联户层级不正确"), code="invalid_tier", field="tier")
    if cadre is None or unit is None or not getattr(cadre, "is_active", False):
        raise InvalidInput(_("请选择在职的联户干部"), code="invalid_cadre", field="cadre")
    if not any(
        u.pk == cadre.pk and cu.pk == unit.pk and t == tier
        for u, cu, t in assignment.candidates(grid)
    ):
        raise InvalidInput(
            _("该干部不能联系本网格的住户（须为结对部门、街镇社区干部或包联区领导）"),
            code="invalid_cadre",
            field="cadre",
        )


@transaction.atomic
def end_link(link: CadreLink | int, *, actor, reason: str) -> CadreLink:
    link = audit.lock(CadreLink, link)
    if actor is not None:
        _grid(actor, link.household.grid_id)
    if link.ended_at is not None:
        return link
    link.ended_at = timezone.now()
    link.end_reason = (reason or "")[:100]
    link.save(update_fields=["ended_at", "end_reason"])
    record(actor, link.household, ChangeAction.UNLINK, {"cadre": [link.cadre_id, None]})
    return link


# --- xlsx import ----------------------------------------------------------------------------

MAX_IMPORT_BYTES = 60 * 1024 * 1024


@transaction.atomic
def start_import(*, actor, upload) -> RegistryImport:
    """Store an uploaded workbook and queue its import (`jobs.run_import`)."""
    from .jobs import run_import as run_import_job

    if not access.grids_editable_by(actor).exists():
        raise PermissionDenied(_("您无权导入台账"))
    name = (getattr(upload, "name", "") or "").strip()
    if not name.lower().endswith(".xlsx"):
        raise InvalidInput(_("仅支持 .xlsx 文件"), code="unsupported_file", field="file")
    if upload.size > MAX_IMPORT_BYTES:
        raise InvalidInput(_("文件过大（最大60MB）"), code="file_too_large", field="file")
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        raise InvalidInput(
            _("无法读取该Excel文件（仅支持 .xlsx）"), code="unreadable_file", field="file"
        )
    imp = RegistryImport(created_by=actor, file_name=name[-200:])
    imp.file.save("upload.xlsx", upload, save=False)
    imp.save()
    enqueue(run_import_job, import_id=imp.pk)
    return imp


def run_import(import_id: int) -> RegistryImport:
    """Check the stored workbook (progress on the row, outside any transaction so the page sees
    it), then write it in one transaction, or reject it with every error."""
    from . import importer

    imp = RegistryImport.objects.select_related("created_by").get(pk=import_id)
    if imp.finished:
        return imp
    actor = imp.created_by
    RegistryImport.objects.filter(pk=imp.pk).update(status=ImportStatus.CHECKING)

    def progress(done: int, total: int) -> None:
        RegistryImport.objects.filter(pk=imp.pk).update(checked_rows=done, total_rows=total)

    try:
        with imp.file.open("rb") as f:
            content = f.read()
        parsed = importer.read(content, grids=access.grids_editable_by(actor), progress=progress)
    except InvalidInput as e:
        return _finish(
            imp,
            ImportStatus.REJECTED,
            errors=[{"sheet": "", "row": 0, "column": "", "message": e.message}],
        )
    if parsed.errors:
        return _finish(
            imp,
            ImportStatus.REJECTED,
            errors=[e.as_dict() for e in parsed.errors],
            total=parsed.total,
        )
    RegistryImport.objects.filter(pk=imp.pk).update(
        status=ImportStatus.WRITING, checked_rows=0, total_rows=parsed.total
    )
    report = _write_progress(imp.pk)
    try:
        counts = importer.apply(parsed, actor=actor, source=f"import:{imp.pk}", progress=report)
    except Exception as e:  # reported on the page; nothing was written (one transaction)
        _finish(
            imp,
            ImportStatus.FAILED,
            errors=[{"sheet": "", "row": 0, "column": "", "message": str(e)[:300]}],
        )
        raise
    finally:
        report.close()
    return _finish(imp, ImportStatus.DONE, counts=counts.as_dict(), total=parsed.total)


def _write_progress(import_id: int):
    """progress(written, total) for the write phase, which runs in one transaction: on
    PostgreSQL the count goes through a second connection in autocommit, so the page polling
    the row sees it while the write is still open (SQLite has one writer and runs imports
    inline: the row itself is updated). During WRITING `checked_rows` counts written rows."""
    from django.db import connection, connections

    table = RegistryImport._meta.db_table
    if connection.vendor != "postgresql":

        def same(done: int, total: int) -> None:
            RegistryImport.objects.filter(pk=import_id).update(checked_rows=done)

        same.close = lambda: None  # type: ignore[attr-defined]
        return same
    side = connections.create_connection("default")
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done < total:
            return
        last[0] = now
        try:
            side.ensure_connection()
            side.set_autocommit(True)
            with side.cursor() as cur:
                cur.execute(
                    f"UPDATE {table} SET checked_rows = %s WHERE id = %s", [done, import_id]
                )
        except Exception:  # progress is a courtesy; the import goes on
            side.close()

    report.close = side.close  # type: ignore[attr-defined]
    return report


def _finish(imp, status, *, errors=None, counts=None, total=None) -> RegistryImport:
    fields = {"status": status, "finished_at": timezone.now()}
    if errors is not None:
        fields["errors"] = errors[:1000]
        fields["error_count"] = len(errors)
    if counts is not None:
        fields["counts"] = counts
    if total is not None:
        fields["total_rows"] = fields_checked = total
        fields["checked_rows"] = fields_checked
    RegistryImport.objects.filter(pk=imp.pk).update(**fields)
    imp.refresh_from_db()
    return imp


# --- cadre assignment -----------------------------------------------------------------------


@transaction.atomic
def auto_assign(grid: Unit | int, *, actor, source: str = "auto") -> int:
    """Link every active household of `grid` that has no current cadre, in the grid's tier
    (帮包 by the paired departments, else 兜底 by the grid, community and street), balanced by
    load, a building kept with one cadre. Returns the number of links made."""
    from . import assignment

    unit = (
        _grid(actor, grid) if actor is not None else Unit.objects.get(pk=getattr(grid, "pk", grid))
    )
    households = list(
        assignment.unlinked(Household.objects.select_for_update().filter(grid=unit)).order_by("id")
    )
    if not households:
        return 0
    pool = assignment.pool_for(unit)
    if not pool.cadres:
        raise InvalidInput(_("该网格没有可联户的干部"), code="no_cadres", field="grid")
    planned = assignment.plan(
        households, pool.cadres, assignment.current_load(u.pk for u, _unit in pool.cadres)
    )
    now = timezone.now()
    CadreLink.objects.bulk_create(
        [
            CadreLink(household=h, cadre=u, tier=pool.tier, unit=cu, assigned_at=now)
            for h, u, cu in planned
        ],
        batch_size=2000,
    )
    RegistryChange.objects.bulk_create(
        [
            RegistryChange(
                actor=actor if getattr(actor, "pk", None) else None,
                model="household",
                object_id=h.pk,
                action=ChangeAction.LINK,
                changes={"cadre": [None, u.pk], "tier": [None, pool.tier]},
                source=source,
            )
            for h, u, _cu in planned
        ],
        batch_size=2000,
    )
    return len(planned)


@transaction.atomic
def set_town_leader(town: Unit | int, *, actor, leader) -> None:
    """Record a district leader's 包联 of a street/town (ends the previous one)."""
    from minhu.orgs.scope import scope_of

    from .models import LeaderTownLink

    if actor is not None and Role.ADMIN not in scope_of(actor).roles:
        raise PermissionDenied()
    town = audit.lock(Unit, town)
    if town.kind not in (UnitKind.STREET, UnitKind.TOWN):
        raise InvalidInput(_("只能包联街道或镇"), code="not_a_town", field="town")
    if (
        leader is not None
        and not leader.memberships.filter(role=Role.DISTRICT_LEADER, active=True).exists()
    ):
        raise InvalidInput(_("包联人须为区领导"), code="not_a_leader", field="leader")
    now = timezone.now()
    for link in LeaderTownLink.objects.select_for_update().filter(town=town, ended_at__isnull=True):
        if leader is not None and link.leader_id == leader.pk:
            return
        link.ended_at = now
        link.save(update_fields=["ended_at"])
    if leader is not None:
        LeaderTownLink.objects.create(leader=leader, town=town, since=now)
    audit.record(
        actor, audit.ConfigAction.UPDATE, town, {"leader": [None, leader.pk if leader else None]}
    )
