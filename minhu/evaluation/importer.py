"""Import of historical 12345 work orders (xlsx or CSV).

Every row is parsed and validated first; if any row has an error, nothing is written and the
caller gets the full row-by-row report. A clean file is written in one transaction: each work
order becomes a closed appeal with its events (受理登记, 派单, 办理完成, 答复, 回访, 销号), every
event marked `imported` with the batch and the original number, at the times the file gives.

Small files are imported in the request (`import_file`). Larger ones (over INLINE_BYTES) are
stored and imported by a background job (`start_import` → `evaluation.jobs.run_history_import`
→ `run_import`), with progress on their `HistoryImport` row while the rows are checked and in
the shared cache while they are written (one transaction, which the page cannot see into)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Channel,
    EventKind,
    FollowUp,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Status,
)
from minhu.categories.models import Category
from minhu.core import partitions
from minhu.core.errors import Conflict, InvalidInput, PermissionDenied
from minhu.orgs.models import HANDLING_KINDS, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import HistoryImport, HistoryImportStatus, ImportBatch, ImportedWorkOrder

MAX_ROWS = 100_000
MAX_BYTES = 30 * 1024 * 1024
# Dates before this are typing errors (0001-01-01 would not even fit the database's UTC range).
MIN_YEAR = 1900
INLINE_BYTES = 256 * 1024  # larger uploads are imported by a background job
MAX_REPORTED = 500  # row errors kept on a HistoryImport
PROGRESS_EVERY = 1000  # rows between progress updates

# Column -> accepted headers (first is the canonical one, used in the template).
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_no": ("工单编号", "工单号", "编号"),
    "created_at": ("受理时间", "来电时间", "登记时间"),
    "channel": ("渠道", "来源渠道"),
    "appellant_name": ("诉求人", "来电人", "姓名"),
    "appellant_phone": ("联系电话", "电话"),
    "subject": ("诉求标题", "标题"),
    "detail": ("诉求内容", "问题描述", "内容"),
    "address": ("地址", "事发地址"),
    "street": ("街道", "街道/镇", "街镇"),
    "grid": ("网格",),
    "category": ("分类", "诉求分类"),
    "lead_unit": ("主办单位", "承办单位", "责任单位"),
    "status": ("状态", "工单状态"),
    "closed_at": ("办结时间",),
    "measures": ("整改措施", "处理措施"),
    "responsible_office": ("责任科室",),
    "responsible_person": ("责任人",),
    "outcome": ("办理结果", "处理结果"),
    "reply": ("答复内容",),
    "contacted": ("是否及时联系",),
    "solved": ("是否解决",),
    "satisfaction": ("满意度", "回访满意度"),
    "follow_up_at": ("回访时间",),
}
REQUIRED = ("external_no", "created_at", "detail", "lead_unit", "status", "closed_at")
CLOSED_WORDS = {"已办结", "办结", "已销号", "销号", "已完成", "closed", "已归档"}
YES = {"是", "y", "yes", "1", "true", "√", "已解决", "已联系"}
NO = {"否", "n", "no", "0", "false", "×", "未解决", "未联系"}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def template_headers() -> list[str]:
    return [names[0] for names in COLUMNS.values()]


# Columns read per row: the template has far fewer; a row as wide as Excel allows is not read.
MAX_COLUMNS = 64


def _capped(rows: Iterable[tuple[int, list]], limit: int) -> list[tuple[int, list]]:
    """The non-empty rows, read while streaming and stopped after `limit` + 1 of them: a
    1.2-million-row file (a zip bomb) is refused after reading one row over the cap."""
    out: list[tuple[int, list]] = []
    for i, r in rows:
        if any(c not in (None, "") for c in r):
            out.append((i, r))
            if len(out) > limit:
                break
    return out


def read_table(
    content: bytes, file_name: str, *, max_rows: int | None = None
) -> tuple[list[str], list[tuple[int, list]]]:
    """(headers, [(row number as shown in the file, non-empty cells)]), at most `max_rows`
    (default MAX_ROWS) + 1 rows: the caller refuses a file with more."""
    limit = MAX_ROWS if max_rows is None else max_rows
    name = file_name.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise InvalidInput(_("无法读取该Excel文件（仅支持 .xlsx）"), code="unreadable_file")
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        headers = [str(h or "").strip() for h in next(it, [])]
        rows = _capped(((i, list(r)) for i, r in enumerate(it, start=2)), limit)
        wb.close()
    elif name.endswith(".csv"):
        text = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise InvalidInput(_("无法识别CSV文件编码（请使用UTF-8或GBK）"), code="unreadable_file")
        reader = csv.reader(io.StringIO(text))
        headers = [h.strip() for h in next(reader, [])[:MAX_COLUMNS]]
        rows = _capped(((i, r[:MAX_COLUMNS]) for i, r in enumerate(reader, start=2)), limit)
    else:
        raise InvalidInput(_("仅支持 .xlsx 或 .csv 文件"), code="unsupported_file")
    return headers, rows


def _parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(9, 0))
    else:
        text = str(value).strip()
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(text)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(text)


class _Lookups:
    def __init__(self):
        units = list(Unit.objects.filter(active=True))
        self.units_by_code = {u.code: u for u in units}
        self.units_by_name: dict[str, list[Unit]] = {}
        for u in units:
            self.units_by_name.setdefault(u.name, []).append(u)
        cats = list(Category.objects.select_related("parent"))
        self.cats: dict[str, list[Category]] = {}
        for c in cats:
            for key in {c.code, c.name, str(c), str(c).replace(" / ", "/")}:
                self.cats.setdefault(key, []).append(c)
        # Labels as the files have them (Chinese), and in the active language too.
        self.channels = {c.value: c.value for c in Channel}
        self.satisfaction = {s.value: s.value for s in Satisfaction}
        for language in {settings.LANGUAGE_CODE, translation.get_language()} - {None}:
            with translation.override(language):
                self.channels.update({str(c.label): c.value for c in Channel})
                self.satisfaction.update({str(s.label): s.value for s in Satisfaction})
        self.channels.update({"12345": Channel.HOTLINE, "热线": Channel.HOTLINE})
        self.existing = set()
        self.by_id = {u.pk: u for u in units}

    def street_of(self, unit: Unit) -> Unit | None:
        for pk in reversed([int(p) for p in unit.path.strip("/").split("/") if p]):
            u = self.by_id.get(pk)
            if u is not None and u.kind in (UnitKind.STREET, UnitKind.TOWN):
                return u
        return None

    def unit(self, value: str, kinds: set[str]) -> Unit:
        value = value.strip()
        u = self.units_by_code.get(value)
        if u is not None and u.kind in kinds:
            return u
        matches = [u for u in self.units_by_name.get(value, []) if u.kind in kinds]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(_("「%(value)s」对应多个单位，请填写单位编码") % {"value": value})
        raise ValueError(_("找不到单位「%(value)s」") % {"value": value})

    def category(self, value: str) -> Category:
        matches = self.cats.get(value.strip(), [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(
                _("分类「%(value)s」不唯一，请填写“一级/二级”或分类编码") % {"value": value}
            )
        raise ValueError(_("找不到分类「%(value)s」") % {"value": value})


def parse(content: bytes, file_name: str, progress=None) -> Parsed:
    """Read and validate every row; nothing is written. `progress(done, total)` is called every
    PROGRESS_EVERY rows."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(_("文件过大（最大30MB），请分批导入"), code="file_too_large")
    headers, raw_rows = read_table(content, file_name)
    result = Parsed(total=len(raw_rows))
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(headers):
            if h in names:
                index[key] = i
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if missing:
        result.errors.append(RowError(1, "、".join(missing), _("缺少必填列")))
        return result
    if not raw_rows:
        result.errors.append(RowError(2, "", _("文件中没有数据行")))
        return result
    if len(raw_rows) > MAX_ROWS:
        result.errors.append(
            RowError(1, "", _("一次最多导入%(n)d行，请分批导入") % {"n": MAX_ROWS})
        )
        return result
    lk = _Lookups()
    numbers = [str(r[index["external_no"]] or "").strip() for _, r in raw_rows if len(r) > 0]
    lk.existing = set(
        ImportedWorkOrder.objects.filter(external_no__in=numbers).values_list(
            "external_no", flat=True
        )
    )
    seen: dict[str, int] = {}
    now = timezone.now()
    for done, (line, cells) in enumerate(raw_rows):
        if progress is not None and done and done % PROGRESS_EVERY == 0:
            progress(done, len(raw_rows))

        def cell(key: str, cells=cells) -> Any:
            i = index.get(key)
            if i is None or i >= len(cells):
                return None
            v = cells[i]
            return v.strip() if isinstance(v, str) else v

        def err(key: str, message: str, line=line) -> None:
            result.errors.append(RowError(line, COLUMNS[key][0], message))

        n_errors = len(result.errors)
        row: dict[str, Any] = {"line": line}
        for key in REQUIRED:
            if cell(key) in (None, ""):
                err(key, _("必填"))
        no = str(cell("external_no") or "").strip()
        if no:
            if len(no) > 64:
                err("external_no", _("工单编号过长（最多64个字符）"))
            elif no in seen:
                err("external_no", _("与第%(row)d行工单编号重复") % {"row": seen[no]})
            elif no in lk.existing:
                err("external_no", _("该工单已导入过"))
            seen.setdefault(no, line)
        row["external_no"] = no
        for key in ("created_at", "closed_at", "follow_up_at"):
            try:
                row[key] = _parse_time(cell(key))
            except ValueError as e:
                err(key, _("时间格式不正确：%(value)s（应为 2024-03-05 10:20）") % {"value": e})
                row[key] = None
            if row[key] is not None and row[key].year < MIN_YEAR:
                err(key, _("时间早于%(year)d年，请检查") % {"year": MIN_YEAR})
                row[key] = None
        if row.get("created_at") and row["created_at"] > now:
            err("created_at", _("受理时间不能晚于现在"))
        if row.get("created_at") and row.get("closed_at") and row["closed_at"] < row["created_at"]:
            err("closed_at", _("办结时间早于受理时间"))
        if row.get("closed_at") and row["closed_at"] > now:
            err("closed_at", _("办结时间不能晚于现在"))
        status = str(cell("status") or "").strip()
        if status and status not in CLOSED_WORDS:
            err("status", _("只能导入已办结的历史工单（当前为「%(value)s」）") % {"value": status})
        channel = str(cell("channel") or "").strip()
        row["channel"] = lk.channels.get(channel, None) if channel else Channel.HOTLINE
        if row["channel"] is None:
            err("channel", _("无法识别的渠道「%(value)s」") % {"value": channel})
        detail = str(cell("detail") or "").strip()
        if detail and len(detail) < 5:
            err("detail", _("诉求内容至少5个字"))
        row["detail"] = detail[:5000]
        subject = str(cell("subject") or "").strip() or detail[:30]
        row["subject"] = subject[:200]
        row["appellant_name"] = str(cell("appellant_name") or "").strip()[:60]
        row["appellant_phone"] = str(cell("appellant_phone") or "").strip().replace(" ", "")[:20]
        row["address"] = str(cell("address") or "").strip()[:200]
        for key, kinds in (
            ("lead_unit", set(HANDLING_KINDS)),
            ("street", {UnitKind.STREET, UnitKind.TOWN}),
            ("grid", {UnitKind.GRID}),
        ):
            value = str(cell(key) or "").strip()
            row[key] = None
            if value:
                try:
                    row[key] = lk.unit(value, kinds)
                except ValueError as e:
                    err(key, str(e))
        if row["grid"] is not None:
            grid_street = lk.street_of(row["grid"])
            if row["street"] is not None and grid_street and grid_street.pk != row["street"].pk:
                err("grid", _("网格不属于「%(street)s」") % {"street": row["street"].name})
            row["street"] = row["street"] or grid_street
        if row["street"] is None and row["lead_unit"] is not None:
            row["street"] = lk.street_of(row["lead_unit"])
        value = str(cell("category") or "").strip()
        row["category"] = None
        if value:
            try:
                row["category"] = lk.category(value)
            except ValueError as e:
                err("category", str(e))
        for key in ("contacted", "solved"):
            try:
                row[key] = _bool(cell(key))
            except ValueError as e:
                err(key, _("应填“是”或“否”（当前为「%(value)s」）") % {"value": e})
                row[key] = None
        sat = str(cell("satisfaction") or "").strip()
        row["satisfaction"] = lk.satisfaction.get(sat, None) if sat else ""
        if row["satisfaction"] is None:
            err(
                "satisfaction",
                _("满意度应为满意、基本满意或不满意（当前为「%(value)s」）") % {"value": sat},
            )
        if row["satisfaction"] and row["solved"] is None:
            row["solved"] = row["satisfaction"] != Satisfaction.UNSATISFIED
        for key, limit in (
            ("measures", 5000),
            ("responsible_office", 100),
            ("responsible_person", 50),
            ("outcome", 5000),
            ("reply", 5000),
        ):
            row[key] = str(cell(key) or "").strip()[:limit]
        if len(result.errors) == n_errors:
            result.rows.append(row)
    return result


def _ev(appeal: Appeal, kind: str, at: dt.datetime, actor, batch: ImportBatch, row: dict, **kw):
    to_status = kw.pop("to_status", appeal.status)
    from_status = kw.pop("from_status", to_status)
    return AppealEvent(
        appeal=appeal,
        kind=kind,
        actor=actor,
        actor_name="历史工单导入",
        unit_id=kw.pop("unit_id", None),
        from_status=from_status,
        to_status=to_status,
        note=kw.pop("note", ""),
        data={"imported": True, "batch": batch.pk, "external_no": row["external_no"], **kw},
        created_at=at,
    )


def check_import(actor) -> None:
    """The import's guard: the dispatch centre or an administrator (None: the system)."""
    if actor is not None and not scope_of(actor).has_role(Role.ADMIN, Role.DISPATCHER):
        raise PermissionDenied(_("只有调度中心或管理员可以导入历史工单"))


def import_file(content: bytes, file_name: str, *, actor) -> tuple[ImportBatch | None, Parsed]:
    """Validate the whole file; import it in one transaction only if every row is valid.
    Returns (batch or None, parse result with its errors)."""
    check_import(actor)
    parsed = parse(content, file_name)
    if parsed.errors:
        return None, parsed
    batch = _write(parsed, content, file_name, actor)
    return batch, parsed


def _write(parsed: Parsed, content: bytes, file_name: str, actor, written=None) -> ImportBatch:
    """Write a validated file in one transaction. The numbers were checked against earlier
    imports when the file was read; the same numbers imported at the same moment by someone
    else are caught by their unique index and refused (409 `already_imported`), nothing written."""
    try:
        return _write_rows(parsed, content, file_name, actor, written)
    except IntegrityError:
        numbers = [r["external_no"] for r in parsed.rows]
        if not ImportedWorkOrder.objects.filter(external_no__in=numbers).exists():
            raise  # not the race: a bug to see, not to hide
        raise Conflict(_("这些工单刚刚已由他人导入，请刷新后查看"), code="already_imported")


@transaction.atomic
def _write_rows(parsed: Parsed, content: bytes, file_name: str, actor, written=None) -> ImportBatch:
    from . import aggregates
    from .actions import _log

    batch = ImportBatch.objects.create(
        file_name=file_name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=len(parsed.rows),
        imported_by=actor,
    )
    days: set[dt.date] = set()
    for start in range(0, len(parsed.rows), 2000):
        chunk = parsed.rows[start : start + 2000]
        appeals = []
        for row in chunk:
            grid, street, lead = row["grid"], row["street"], row["lead_unit"]
            closed = row["closed_at"]
            appeals.append(
                Appeal(
                    channel=row["channel"],
                    appellant_kind=AppellantKind.PERSON
                    if row["appellant_phone"]
                    else AppellantKind.ANONYMOUS,
                    appellant_name=row["appellant_name"],
                    appellant_phone=row["appellant_phone"],
                    subject=row["subject"],
                    detail=row["detail"],
                    address=row["address"],
                    grid=grid,
                    street=street,
                    category=row["category"],
                    status=Status.CLOSED,
                    lead_unit=lead,
                    registered_by=actor,
                    created_at=row["created_at"],
                    dispatched_at=row["created_at"],
                    resolved_at=closed,
                    replied_at=closed,
                    closed_at=closed,
                    outcome_kind=OutcomeKind.COORDINATED,
                    outcome=row["outcome"],
                    measures=row["measures"],
                    responsible_office=row["responsible_office"],
                    responsible_person=row["responsible_person"],
                    reply=row["reply"],
                    satisfaction=row["satisfaction"] or "",
                    solved=row["solved"],
                )
            )
        Appeal.objects.bulk_create(appeals)
        ImportedWorkOrder.objects.bulk_create(
            [
                ImportedWorkOrder(
                    batch=batch, external_no=r["external_no"], appeal=a, row=r["line"]
                )
                for r, a in zip(chunk, appeals, strict=True)
            ]
        )
        follow_ups = []
        for r, a in zip(chunk, appeals, strict=True):
            if r["satisfaction"]:
                follow_ups.append(
                    FollowUp(
                        appeal=a,
                        source=FollowUpSource.CALLBACK,
                        unit=a.lead_unit,
                        round=0,
                        reached=True,
                        contacted=r["contacted"],
                        solved=r["solved"],
                        satisfaction=r["satisfaction"],
                        comment="历史工单导入",
                        created_at=r["follow_up_at"] or r["closed_at"],
                    )
                )
        FollowUp.objects.bulk_create(follow_ups)
        fu_by_appeal = {f.appeal_id: f for f in follow_ups}
        events = []
        for r, a in zip(chunk, appeals, strict=True):
            t0, t1 = r["created_at"], r["closed_at"]
            lead_id = a.lead_unit_id
            events.append(
                _ev(
                    a,
                    EventKind.REGISTER,
                    t0,
                    actor,
                    batch,
                    r,
                    from_status="",
                    to_status=Status.NEW,
                    note="历史工单导入",
                    channel=a.channel,
                    line=r["line"],
                    file=file_name[:200],
                )
            )
            events.append(
                _ev(
                    a,
                    EventKind.DISPATCH,
                    t0,
                    actor,
                    batch,
                    r,
                    from_status=Status.NEW,
                    to_status=Status.DISPATCHED,
                    unit_id=lead_id,
                    lead=lead_id,
                )
            )
            events.append(
                _ev(
                    a,
                    EventKind.RESOLVE,
                    t1,
                    actor,
                    batch,
                    r,
                    from_status=Status.IN_PROGRESS,
                    to_status=Status.RESOLVED,
                    unit_id=lead_id,
                    note=r["outcome"],
                )
            )
            if r["reply"]:
                events.append(
                    _ev(
                        a,
                        EventKind.REPLY,
                        t1,
                        actor,
                        batch,
                        r,
                        from_status=Status.RESOLVED,
                        to_status=Status.REPLIED,
                        unit_id=lead_id,
                        note=r["reply"],
                    )
                )
            fu = fu_by_appeal.get(a.pk)
            if fu is not None:
                events.append(
                    _ev(
                        a,
                        EventKind.FOLLOW_UP,
                        fu.created_at,
                        actor,
                        batch,
                        r,
                        from_status=Status.REPLIED,
                        to_status=Status.REPLIED,
                        follow_up=fu.pk,
                        reached=True,
                        contacted=fu.contacted,
                        solved=fu.solved,
                        satisfaction=fu.satisfaction,
                    )
                )
                days.add(timezone.localtime(fu.created_at).date())
            events.append(
                _ev(
                    a,
                    EventKind.CLOSE,
                    t1,
                    actor,
                    batch,
                    r,
                    from_status=Status.REPLIED,
                    to_status=Status.CLOSED,
                    note="历史工单导入销号",
                )
            )
            days.add(timezone.localtime(t0).date())
        if events:  # the months of old history get their event partitions (PostgreSQL)
            times = [e.created_at for e in events]
            partitions.cover(AppealEvent._meta.db_table, min(times), max(times))
        AppealEvent.objects.bulk_create(events, batch_size=5000)
        if written is not None:
            written(start + len(chunk))
    _log("work_orders_imported", batch, actor, note=file_name[:200], rows=batch.rows)
    transaction.on_commit(lambda: aggregates.mark_days_changed(days))
    return batch


# --- in the background ------------------------------------------------------------------------


def start_import(*, actor, upload) -> HistoryImport:
    """Store an uploaded file and queue its import (`jobs.run_history_import`)."""
    from minhu.core.jobs import enqueue

    from .jobs import run_history_import

    check_import(actor)
    name = (getattr(upload, "name", "") or "").strip()
    if not name.lower().endswith((".xlsx", ".csv")):
        raise InvalidInput(_("仅支持 .xlsx 或 .csv 文件"), code="unsupported_file", field="file")
    if upload.size > MAX_BYTES:
        raise InvalidInput(_("文件过大（最大30MB），请分批导入"), code="file_too_large")
    imp = HistoryImport(created_by=actor, file_name=name[-200:])
    imp.file.save("upload" + name[name.rfind(".") :].lower(), upload, save=False)
    imp.save()
    enqueue(run_history_import, import_id=imp.pk)
    return imp


def _written_key(import_id: int) -> str:
    return f"minhu:history_import:{import_id}:written"


def written_rows(imp: HistoryImport) -> int:
    """Rows written so far by a running import (0 if unknown: a worker without the shared cache)."""
    return int(cache.get(_written_key(imp.pk)) or 0)


def percent(imp: HistoryImport) -> int:
    """0–50 % while checking, 50–99 % while writing, 100 when finished."""
    if imp.finished:
        return 100
    if not imp.total_rows:
        return 0
    if imp.status == HistoryImportStatus.WRITING:
        return min(99, 50 + int(written_rows(imp) * 50 / imp.total_rows))
    return min(50, int(imp.checked_rows * 50 / imp.total_rows))


def _finish(imp: HistoryImport, status: str, **fields) -> HistoryImport:
    HistoryImport.objects.filter(pk=imp.pk).update(
        status=status, finished_at=timezone.now(), **fields
    )
    cache.delete(_written_key(imp.pk))
    imp.refresh_from_db()
    return imp


def run_import(import_id: int) -> HistoryImport:
    """Check the stored file (progress on the row, outside any transaction so the page sees it),
    then write it in one transaction, or reject it with its row errors. Idempotent: a finished
    import is left as it is; a rerun after a crash starts again (nothing was committed)."""
    imp = HistoryImport.objects.select_related("created_by").get(pk=import_id)
    if imp.finished:
        return imp
    actor = imp.created_by
    HistoryImport.objects.filter(pk=imp.pk).update(status=HistoryImportStatus.CHECKING)

    def progress(done: int, total: int) -> None:
        HistoryImport.objects.filter(pk=imp.pk).update(checked_rows=done, total_rows=total)

    try:
        with imp.file.open("rb") as f:
            content = f.read()
        with translation.override(settings.LANGUAGE_CODE):
            parsed = parse(content, imp.file_name, progress=progress)
    except InvalidInput as e:
        return _finish(imp, HistoryImportStatus.REJECTED, message=e.message[:300], error_count=1)
    if parsed.errors:
        return _finish(
            imp,
            HistoryImportStatus.REJECTED,
            errors=[e.as_dict() for e in parsed.errors[:MAX_REPORTED]],
            error_count=len(parsed.errors),
            total_rows=parsed.total,
            checked_rows=parsed.total,
        )
    HistoryImport.objects.filter(pk=imp.pk).update(
        status=HistoryImportStatus.WRITING, checked_rows=parsed.total, total_rows=parsed.total
    )

    def written(n: int) -> None:
        cache.set(_written_key(imp.pk), n, 3600)

    try:
        batch = _write(parsed, content, imp.file_name, actor, written)
    except Conflict as e:
        return _finish(imp, HistoryImportStatus.REJECTED, message=e.message[:300], error_count=1)
    except Exception as e:  # reported on the page; nothing was written (one transaction)
        _finish(imp, HistoryImportStatus.FAILED, message=str(e)[:300])
        raise
    return _finish(imp, HistoryImportStatus.DONE, batch=batch)
