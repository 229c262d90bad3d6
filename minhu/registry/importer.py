"""xlsx import and export of the registry.

One workbook, one sheet per kind (楼宇, 住户, 居民, 商铺), Chinese headers (`SHEETS`). An import
reads every row, checks it and lists every error by sheet, row and column; a file with any
error imports nothing. A clean file is applied in one transaction as an upsert by each row's
stable key (`keys.py`): unchanged rows are left alone (re-importing a file changes nothing),
changed rows are updated, new rows created, and each created or changed row gets its
`RegistryChange` row. Duplicates are errors: the same ID number twice (in the file, or already
held by a resident of another household), the same room twice.

Large files run as a background job (`jobs.run_import`) that reports progress on the
`RegistryImport` row the page polls."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput
from minhu.core.xlsx import Workbook
from minhu.orgs.models import Unit, UnitKind

from . import keys, personal
from .models import (
    Building,
    ChangeAction,
    Estate,
    EstateKind,
    Gender,
    Household,
    HouseholdTag,
    RegistryChange,
    Relation,
    Resident,
    Shop,
)

# sheet -> [(column header, field, required)]
SHEETS: dict[str, list[tuple[str, str, bool]]] = {
    "楼宇": [
        ("网格编码", "grid", True),
        ("小区/村名称", "estate", True),
        ("类型", "estate_kind", False),
        ("小区地址", "estate_address", False),
        ("楼号", "name", True),
        ("单元数", "unit_count", False),
        ("层数", "floor_count", False),
        ("脱管", "unmanaged", False),
    ],
    "住户": [
        ("网格编码", "grid", True),
        ("小区/村名称", "estate", False),
        ("楼号", "building", False),
        ("单元", "unit_no", False),
        ("房号", "room", False),
        ("详细地址", "address", True),
        ("户主姓名", "head_name", True),
        ("联系电话", "phone", False),
        ("家庭人数", "member_count", False),
        ("标签", "tags", False),
    ],
    "居民": [
        ("网格编码", "grid", True),
        ("小区/村名称", "estate", False),
        ("楼号", "building", False),
        ("单元", "unit_no", False),
        ("房号", "room", False),
        ("详细地址", "address", False),
        ("姓名", "name", True),
        ("与户主关系", "relation", False),
        ("身份证号", "id_number", False),
        ("联系电话", "phone", False),
    ],
    "商铺": [
        ("网格编码", "grid", True),
        ("店名", "name", True),
        ("经营者", "operator", False),
        ("经营类型", "business_type", False),
        ("联系电话", "phone", False),
        ("营业执照号", "licence_no", False),
        ("地址", "address", False),
    ],
}
MAX_ERRORS = 1000
# Read while streaming, so that a small file that unpacks to millions of rows or cells (a zip
# bomb) is refused after MAX_ROWS rows, not after reading all of them into memory.
MAX_ROWS = 1_000_000  # non-empty rows of all sheets together (200,000 households with
# 600,000 residents is 814,000 rows: issue 10's scale; rows are streamed, ~1.2 KB each checked)
MAX_COLUMNS = 64  # cells read per row (the template has far fewer)
YES = {"是", "Y", "y", "yes", "1", "true", "TRUE", "脱管"}


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Parsed:
    buildings: list[dict] = field(default_factory=list)
    households: list[dict] = field(default_factory=list)
    residents: list[dict] = field(default_factory=list)
    shops: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def template() -> bytes:
    wb = Workbook()
    for title, cols in SHEETS.items():
        ws = wb.sheet(title)
        ws.append([h + ("*" if req else "") for h, _f, req in cols], bold=True, fill="DDEBF7")
        ws.column_widths([14] * len(cols))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read(
    content: bytes, *, grids=None, progress: Callable[[int, int], None] | None = None
) -> Parsed:
    """Parse and check every row (no database writes). `grids`: the grid units the importer
    may write (default: all); other grid codes are errors."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(_("无法读取该Excel文件（仅支持 .xlsx）"), code="unreadable_file")
    p = Parsed()
    sheets = {}
    seen = [0]  # non-empty rows read so far, all sheets (the MAX_ROWS cap)
    try:
        for title, cols in SHEETS.items():
            if title not in wb.sheetnames:
                continue
            ws = wb[title]
            headers = [
                _text(h).rstrip("*")
                for h in next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), [])
            ]
            index = {}
            for h, f, req in cols:
                if h in headers:
                    index[f] = headers.index(h)
                elif req:
                    p.errors.append(RowError(title, 1, h, _("缺少必填列")))
            # The progress bar's total until every row is read.
            p.total += max(_row_count(ws) - 1, 0)
            sheets[title] = _stream(ws, index, seen)
        if not sheets:
            raise InvalidInput(_("文件中没有楼宇、住户、居民或商铺工作表"), code="no_sheets")
        if grids is None:
            grids = Unit.objects.filter(kind=UnitKind.GRID)
        _check(p, sheets, {u.code: u for u in grids}, progress)
    finally:
        wb.close()
    return p


def _row_count(ws) -> int:
    """The sheet's rows: its declared <dimension>, or (files written in streaming mode, like
    Minhu's own exports, declare none) the <row> elements counted in the decompressed XML, a
    pass that holds one chunk at a time."""
    if ws.max_row:
        return ws.max_row
    n, tail = 0, b""
    with ws._get_source() as src:  # openpyxl's own reader of the sheet's XML part
        while chunk := src.read(1 << 20):
            data = tail + chunk
            n += data.count(b"<row ") + data.count(b"<row>")
            tail = data[-5:]
    return n


def _stream(ws, index: dict[str, int], seen: list[int]):
    """(row number, {field: text}) for every non-empty row of a sheet, read as the checks go
    (the raw rows are never all held in memory); more than MAX_ROWS rows in the file is an
    error before anything is written."""
    rows = ws.iter_rows(min_row=2, max_col=MAX_COLUMNS, values_only=True)
    for n, r in enumerate(rows, start=2):
        if not any(c not in (None, "") for c in r):
            continue
        if seen[0] >= MAX_ROWS:
            raise InvalidInput(
                _("一次最多导入%(n)d行，请分批导入") % {"n": MAX_ROWS}, code="too_many_rows"
            )
        seen[0] += 1
        yield n, {f: _text(r[i]) if i < len(r) else "" for f, i in index.items()}


def _check(p: Parsed, sheets, grids, progress) -> None:
    done = 0
    declared = p.total
    cols = {t: {f: h for h, f, _r in c} for t, c in SHEETS.items()}
    tag_codes = {str(label): code for code, label in HouseholdTag.choices} | {
        c: c for c, _l in HouseholdTag.choices
    }
    relations = {str(label): code for code, label in Relation.choices}
    kinds = {str(label): code for code, label in EstateKind.choices}

    def err(sheet, n, f, msg):
        if len(p.errors) < MAX_ERRORS:
            p.errors.append(RowError(sheet, n, cols[sheet].get(f, f), msg))

    def grid_of(sheet, n, row):
        g = grids.get(row.get("grid", ""))
        if g is None:
            err(sheet, n, "grid", _("网格编码不存在或不在您的管辖范围内"))
        return g

    def tick():
        nonlocal done
        done += 1
        if progress and done % 2000 == 0:
            progress(done, max(declared, done))

    def required(sheet, n, row):
        ok = True
        for _h, f, req in SHEETS[sheet]:
            if req and f in row and not row[f]:
                err(sheet, n, f, _("必填"))
                ok = False
        return ok

    def number(sheet, n, row, f, default, lo, hi):
        v = row.get(f, "")
        if not v:
            return default
        try:
            x = int(v)
        except ValueError:
            err(sheet, n, f, _("应为整数"))
            return default
        if not lo <= x <= hi:
            err(sheet, n, f, _("应在%(lo)s到%(hi)s之间") % {"lo": lo, "hi": hi})
        return x

    def phone(sheet, n, row):
        v = row.get("phone", "").replace("-", "").replace(" ", "")
        if v and (not v.isdigit() or not 7 <= len(v) <= 12):
            err(sheet, n, "phone", _("电话号码格式不正确"))
        return v

    building_keys: set[str] = set()
    for n, row in sheets.get("楼宇", []):
        tick()
        if not required("楼宇", n, row):
            continue
        g = grid_of("楼宇", n, row)
        kind = kinds.get(row.get("estate_kind") or "小区")
        if kind is None:
            err("楼宇", n, "estate_kind", _("类型应为“小区”或“自然村”"))
        uc = number("楼宇", n, row, "unit_count", 1, 1, 50)
        fc = number("楼宇", n, row, "floor_count", 1, 1, 200)
        if g is None:
            continue
        key = keys.building_key(g.code, row["estate"], row["name"])
        if key in building_keys:
            err("楼宇", n, "name", _("楼号重复"))
        building_keys.add(key)
        p.buildings.append(
            {
                "key": key,
                "grid": g,
                "estate": row["estate"],
                "estate_kind": kind or EstateKind.ESTATE,
                "estate_address": row.get("estate_address", ""),
                "name": row["name"],
                "unit_count": uc,
                "floor_count": fc,
                "unmanaged": row.get("unmanaged", "") in YES,
            }
        )

    def household_key(sheet, n, row, g):
        if row.get("building") and not row.get("estate"):
            err(sheet, n, "estate", _("填写楼号时须填写小区/村名称"))
        return keys.household_key(
            g.code,
            estate_name=row.get("estate", ""),
            building_name=row.get("building", ""),
            unit_no=row.get("unit_no", ""),
            room=row.get("room", ""),
            address=row.get("address", ""),
        )

    hh_keys: dict[str, int] = {}
    for n, row in sheets.get("住户", []):
        tick()
        if not required("住户", n, row):
            continue
        g = grid_of("住户", n, row)
        tags = []
        for t in row.get("tags", "").replace("，", "、").replace(",", "、").split("、"):
            t = t.strip()
            if t and t not in tag_codes:
                err("住户", n, "tags", _("未知的标签：%(t)s") % {"t": t})
            elif t:
                tags.append(tag_codes[t])
        mc = number("住户", n, row, "member_count", 1, 0, 99)
        ph = phone("住户", n, row)
        if g is None:
            continue
        key = household_key("住户", n, row, g)
        if key in hh_keys:
            err("住户", n, "room", _("与第%(n)s行是同一房间（重复住户）") % {"n": hh_keys[key]})
            continue
        hh_keys[key] = n
        bkey = (
            keys.building_key(g.code, row.get("estate", ""), row["building"])
            if row.get("building")
            else None
        )
        p.households.append(
            {
                "key": key,
                "grid": g,
                "estate": row.get("estate", ""),
                "building_key": bkey,
                "unit_no": row.get("unit_no", ""),
                "room": row.get("room", ""),
                "address": row["address"],
                "head_name": row["head_name"],
                "phone": ph,
                "member_count": mc,
                "tags": Household.encode_tags(tags),
                "_row": n,
            }
        )

    id_rows: dict[str, int] = {}
    res_keys: set[str] = set()
    for n, row in sheets.get("居民", []):
        tick()
        if not required("居民", n, row):
            continue
        g = grid_of("居民", n, row)
        if not row.get("address") and not (row.get("building") and row.get("room")):
            err("居民", n, "address", _("须填写详细地址，或楼号和房号"))
        rel = relations.get(row.get("relation") or "其他")
        if rel is None:
            err("居民", n, "relation", _("与户主关系不在可选范围内"))
        number_ = personal.normalize_id(row.get("id_number", ""))
        h = ""
        if number_:
            problem = personal.id_problem(number_)
            if problem:
                err("居民", n, "id_number", problem)
            else:
                h = personal.id_hash(number_)
                if h in id_rows:
                    err("居民", n, "id_number", _("身份证号与第%(n)s行重复") % {"n": id_rows[h]})
                id_rows[h] = n
        ph = phone("居民", n, row)
        if g is None:
            continue
        hkey = household_key("居民", n, row, g)
        rkey = keys.resident_key(hkey, id_hash=h, name=row["name"])
        if rkey in res_keys:
            err("居民", n, "name", _("同一住户中重复的居民"))
        res_keys.add(rkey)
        p.residents.append(
            {
                "key": rkey,
                "household_key": hkey,
                "name": row["name"],
                "relation": rel or Relation.OTHER,
                "id_number": number_ if h else "",
                "id_hash": h,
                "phone": ph,
                "_row": n,
            }
        )

    for n, row in sheets.get("商铺", []):
        tick()
        if not required("商铺", n, row):
            continue
        g = grid_of("商铺", n, row)
        ph = phone("商铺", n, row)
        if g is None:
            continue
        p.shops.append(
            {
                "key": keys.shop_key(
                    g.code, licence_no=row.get("licence_no", ""), name=row["name"]
                ),
                "grid": g,
                "name": row["name"],
                "operator": row.get("operator", ""),
                "business_type": row.get("business_type", ""),
                "phone": ph,
                "licence_no": row.get("licence_no", ""),
                "address": row.get("address", ""),
            }
        )
    p.total = done  # the rows actually read (the declared size may count empty rows)
    _check_against_database(p, hh_keys, err)


def _check_against_database(p: Parsed, hh_keys, err) -> None:
    """References to households that are neither in the file nor in the registry, and ID
    numbers already held by a resident of another household."""
    wanted = {r["household_key"] for r in p.residents} - set(hh_keys)
    known = set()
    for chunk in _chunks(sorted(wanted), 2000):
        known |= set(Household.objects.filter(key__in=chunk).values_list("key", flat=True))
    for r in p.residents:
        if r["household_key"] not in hh_keys and r["household_key"] not in known:
            err("居民", r["_row"], "address", _("找不到该住户（请先在住户表中登记）"))
    by_hash = {r["id_hash"]: r for r in p.residents if r["id_hash"]}
    for chunk in _chunks(sorted(by_hash), 2000):
        for h, key, address in Resident.objects.filter(id_hash__in=chunk, active=True).values_list(
            "id_hash", "key", "household__address"
        ):
            r = by_hash[h]
            if key != r["key"]:
                err(
                    "居民",
                    r["_row"],
                    "id_number",
                    _("身份证号已登记在其他住户：%(a)s") % {"a": address},
                )


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- applying -------------------------------------------------------------------------------


@dataclass
class Counts:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, what: str, n: int = 1) -> None:
        d = getattr(self, what)
        d[kind] = d.get(kind, 0) + n

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _upsert(
    model,
    rows: list[dict],
    fields: list[str],
    counts: Counts,
    kind: str,
    changes: list,
    actor,
    source,
    tick: Callable[[int], None] | None = None,
):
    """Create rows whose key is new, update those whose fields differ, leave the rest.
    `tick(n)`: n more file rows written (the write phase's progress)."""
    existing = {}
    for chunk in _chunks([r["key"] for r in rows], 2000):
        for obj in model.objects.filter(key__in=chunk):
            existing[obj.key] = obj
    new, changed, now = [], [], timezone.now()
    diffs = {}
    for r in rows:
        obj = existing.get(r["key"])
        if obj is None:
            obj = model(key=r["key"], **{f: r[f] for f in fields}, created_at=now, updated_at=now)
            new.append(obj)
            continue
        d = {}
        for f in fields:
            old = (
                getattr(obj, f + "_id")
                if f in ("grid", "estate", "building", "household")
                else getattr(obj, f)
            )
            val = r[f].pk if hasattr(r[f], "pk") else r[f]
            if old != val:
                d[f] = [old, val]
                setattr(obj, f, r[f])
        if not obj.active:
            d["active"] = [False, True]
            obj.active = True
        if d:
            obj.updated_at = now
            changed.append(obj)
            diffs[obj.pk] = d
    for chunk in _chunks(new, 5000):
        model.objects.bulk_create(chunk, batch_size=2000)
        if tick:
            tick(len(chunk))
    if new and new[0].pk is None:  # SQLite before returning ids: read them back
        ids = {}
        for chunk in _chunks([o.key for o in new], 2000):
            ids.update(model.objects.filter(key__in=chunk).values_list("key", "id"))
        for o in new:
            o.pk = o.id = ids[o.key]
    for chunk in _chunks(changed, 5000):
        model.objects.bulk_update(chunk, [*fields, "active", "updated_at"], batch_size=2000)
        if tick:
            tick(len(chunk))
    if tick:
        tick(len(rows) - len(new) - len(changed))
    name = model._meta.model_name
    mask = {"phone": personal.mask_phone}
    for o in new:
        changes.append(
            RegistryChange(
                actor=actor,
                model=name,
                object_id=o.pk,
                action=ChangeAction.CREATE,
                changes={"key": [None, o.key]},
                source=source,
            )
        )
    for o in changed:
        d = {k: [mask[k](x) if k in mask and x else x for x in v] for k, v in diffs[o.pk].items()}
        changes.append(
            RegistryChange(
                actor=actor,
                model=name,
                object_id=o.pk,
                action=ChangeAction.UPDATE,
                changes=d,
                source=source,
            )
        )
    counts.add(kind, "created", len(new))
    counts.add(kind, "updated", len(changed))
    counts.add(kind, "unchanged", len(rows) - len(new) - len(changed))
    return {**existing, **{o.key: o for o in new}}


@transaction.atomic
def apply(
    p: Parsed, *, actor, source: str, progress: Callable[[int, int], None] | None = None
) -> Counts:
    """Write a checked file (no errors) in one transaction. `progress(written, total)`
    after every few thousand rows (total: the file's rows)."""
    assert not p.errors
    counts, changes = Counts(), []
    total = len(p.buildings) + len(p.households) + len(p.residents) + len(p.shops)
    written = 0

    def tick(n: int) -> None:
        nonlocal written
        written += n
        if progress and n:
            progress(written, total)

    actor = actor if getattr(actor, "pk", None) else None
    # Estates named by buildings or households.
    estate_rows = {}
    for b in p.buildings:
        estate_rows[keys.estate_key(b["grid"].code, b["estate"])] = {
            "key": keys.estate_key(b["grid"].code, b["estate"]),
            "grid": b["grid"],
            "name": b["estate"],
            "kind": b["estate_kind"],
            "address": b["estate_address"],
        }
    for h in p.households:
        if h["estate"]:
            k = keys.estate_key(h["grid"].code, h["estate"])
            estate_rows.setdefault(
                k,
                {
                    "key": k,
                    "grid": h["grid"],
                    "name": h["estate"],
                    "kind": EstateKind.ESTATE,
                    "address": "",
                },
            )
    estates = _upsert(
        Estate,
        list(estate_rows.values()),
        ["grid", "name", "kind", "address"],
        counts,
        "estate",
        changes,
        actor,
        source,
    )
    for b in p.buildings:
        b["estate"] = estates[keys.estate_key(b["grid"].code, b["estate"])]
    buildings = _upsert(
        Building,
        p.buildings,
        ["estate", "grid", "name", "unit_count", "floor_count", "unmanaged"],
        counts,
        "building",
        changes,
        actor,
        source,
        tick,
    )
    missing = {h["building_key"] for h in p.households if h["building_key"]} - set(buildings)
    for chunk in _chunks(sorted(missing), 2000):
        for b in Building.objects.filter(key__in=chunk):
            buildings[b.key] = b
    for h in p.households:
        h["estate"] = (
            estates.get(keys.estate_key(h["grid"].code, h["estate"])) if h["estate"] else None
        )
        h["building"] = buildings.get(h["building_key"]) if h["building_key"] else None
    households = _upsert(
        Household,
        p.households,
        [
            "grid",
            "estate",
            "building",
            "unit_no",
            "room",
            "address",
            "head_name",
            "phone",
            "member_count",
            "tags",
        ],
        counts,
        "household",
        changes,
        actor,
        source,
        tick,
    )
    missing = {r["household_key"] for r in p.residents} - set(households)
    for chunk in _chunks(sorted(missing), 2000):
        for h in Household.objects.filter(key__in=chunk):
            households[h.key] = h
    # Residents: the ID number is compared by its hash; only new or changed numbers are encrypted.
    existing_hash = {}
    for chunk in _chunks([r["key"] for r in p.residents], 2000):
        existing_hash.update(Resident.objects.filter(key__in=chunk).values_list("key", "id_hash"))
    for r in p.residents:
        r["household"] = households[r["household_key"]]
        number = r.pop("id_number", "")
        if existing_hash.get(r["key"]) == r["id_hash"] and r["key"] in existing_hash:
            r["_keep_id"] = True
        r["id_masked"] = personal.mask_id(number) if number else ""
        r["id_number_enc"] = (
            personal.encrypt_id(number) if number and not r.get("_keep_id") else None
        )
        if number:
            r["birth_year"] = personal.birth_year_of(number)
            r["gender"] = personal.gender_of(number)
        else:
            r["birth_year"], r["gender"] = None, ""
    keep = [r for r in p.residents if r.get("_keep_id")]
    fresh = [r for r in p.residents if not r.get("_keep_id")]
    base = ["household", "name", "relation", "phone", "birth_year", "gender"]
    for r in fresh:
        r["id_number_enc"] = r["id_number_enc"] or ""
    _upsert(Resident, keep, base, counts, "resident", changes, actor, source, tick)
    _upsert(
        Resident,
        fresh,
        [*base, "id_hash", "id_masked", "id_number_enc"],
        counts,
        "resident",
        changes,
        actor,
        source,
        tick,
    )
    _upsert(
        Shop,
        p.shops,
        ["grid", "name", "operator", "business_type", "phone", "licence_no", "address"],
        counts,
        "shop",
        changes,
        actor,
        source,
        tick,
    )
    RegistryChange.objects.bulk_create(changes, batch_size=5000)
    return counts


# --- export ---------------------------------------------------------------------------------


def export(households_qs, residents_qs, buildings_qs, shops_qs) -> bytes:
    """The visible registry as xlsx with the template's headers; phones and ID numbers masked."""
    wb = Workbook()
    ws = wb.sheet("楼宇")
    ws.append([h for h, _f, _r in SHEETS["楼宇"]], bold=True)
    for b in buildings_qs.select_related("grid", "estate").iterator(chunk_size=2000):
        ws.append(
            [
                b.grid.code,
                b.estate.name,
                b.estate.get_kind_display(),
                b.estate.address,
                b.name,
                b.unit_count,
                b.floor_count,
                "是" if b.unmanaged else "否",
            ]
        )
    ws = wb.sheet("住户")
    ws.append([h for h, _f, _r in SHEETS["住户"]], bold=True)
    for h in households_qs.select_related("grid", "estate", "building").iterator(chunk_size=2000):
        ws.append(
            [
                h.grid.code,
                h.estate.name if h.estate else "",
                h.building.name if h.building else "",
                h.unit_no,
                h.room,
                h.address,
                h.head_name,
                personal.mask_phone(h.phone),
                h.member_count,
                "、".join(h.tag_labels()),
            ]
        )
    ws = wb.sheet("居民")
    ws.append([h for h, _f, _r in SHEETS["居民"]], bold=True)
    for r in residents_qs.select_related(
        "household__grid", "household__estate", "household__building"
    ).iterator(chunk_size=2000):
        h = r.household
        ws.append(
            [
                h.grid.code,
                h.estate.name if h.estate else "",
                h.building.name if h.building else "",
                h.unit_no,
                h.room,
                h.address,
                r.name,
                r.get_relation_display(),
                r.id_masked,
                personal.mask_phone(r.phone),
            ]
        )
    ws = wb.sheet("商铺")
    ws.append([h for h, _f, _r in SHEETS["商铺"]], bold=True)
    for s in shops_qs.select_related("grid").iterator(chunk_size=2000):
        ws.append(
            [
                s.grid.code,
                s.name,
                s.operator,
                s.business_type,
                personal.mask_phone(s.phone),
                s.licence_no,
                s.address,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GENDERS = dict(Gender.choices)
