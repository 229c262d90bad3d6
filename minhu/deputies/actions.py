"""Verbs of the deputies' register and their suggestions. Each is one transaction; the register
verbs write the configuration audit row (`core.audit`), a suggestion is registered as a work
item through `appeals.actions.register_appeal` (whose REGISTER event records it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal
from minhu.core import audit
from minhu.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import KIND, Deputy, ImportStatus, Suggestion, SuggestionImport

WRITE_ROLES = (Role.DISPATCHER, Role.ADMIN)
DEPUTY_FIELDS = ("name", "level", "constituency", "phone", "workplace", "active")
MAX_ROWS = 2000


def may_write(actor) -> bool:
    return actor is not None and scope_of(actor).has_role(*WRITE_ROLES)


def _require_writer(actor) -> None:
    if not may_write(actor):
        raise PermissionDenied(_("只有调度中心可以维护代表建议"))


def _clean_deputy(values: Mapping[str, Any]) -> dict[str, Any]:
    audit.check_editable(values, DEPUTY_FIELDS)
    out = audit.clean_fields(Deputy, values)
    if "phone" in out:
        out["phone"] = out["phone"].replace(" ", "")
        if not appeal_actions.PHONE_RE.match(out["phone"]):
            raise InvalidInput(_("联系电话格式不正确"), code="invalid_phone", field="phone")
    return out


def _unique_deputy(name: str, phone: str, exclude: int | None = None) -> None:
    qs = Deputy.objects.filter(name=name, phone=phone)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise Conflict(_("该代表已在册"), code="duplicate_deputy", field="name")


@transaction.atomic
def create_deputy(*, actor, **values: Any) -> Deputy:
    """登记代表: name, level, constituency, phone (the number the answer and rating go to)."""
    _require_writer(actor)
    for name in ("name", "level", "constituency", "phone"):
        if not str(values.get(name) or "").strip():
            label = Deputy._meta.get_field(name).verbose_name
            raise InvalidInput(_("请填写%(label)s") % {"label": label}, code="required", field=name)
    clean = _clean_deputy(values)
    _unique_deputy(clean["name"], clean["phone"])
    deputy = Deputy.objects.create(**clean)
    audit.record_created(actor, deputy, DEPUTY_FIELDS)
    return deputy


@transaction.atomic
def update_deputy(deputy: Deputy | int, *, actor, **values: Any) -> Deputy:
    """修改代表信息 (or take them off the register with active=False)."""
    _require_writer(actor)
    deputy = audit.lock(Deputy, deputy)
    clean = _clean_deputy(values)
    _unique_deputy(clean.get("name", deputy.name), clean.get("phone", deputy.phone), deputy.pk)
    audit.save_changes(actor, deputy, DEPUTY_FIELDS, clean)
    return deputy


def _next_number(year: int) -> str:
    last = (
        Suggestion.objects.filter(year=year, number__startswith=f"{year}-")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{year}-{seq:04d}"


@transaction.atomic
def submit_suggestion(
    *,
    actor,
    deputy: Deputy | int,
    title: str,
    content: str,
    grid: Unit | None = None,
    category=None,
    year: int | None = None,
) -> Suggestion:
    """录入代表建议: the suggestion and its work item (the deputy as appellant, channel
    `deputy`), in one transaction."""
    _require_writer(actor)
    try:
        deputy = Deputy.objects.get(pk=deputy.pk if isinstance(deputy, Deputy) else deputy)
    except (Deputy.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(_("请选择代表"), code="required", field="deputy")
    if not deputy.active:
        raise InvalidInput(_("该代表已不在册"), code="inactive_deputy", field="deputy")
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("年度不正确"), code="invalid_year", field="year")
    title = (title or "").strip()
    content = (content or "").strip()
    try:
        with transaction.atomic():
            suggestion = Suggestion.objects.create(
                deputy=deputy,
                number=_next_number(year),
                year=year,
                title=title[:200],
                content=content,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("建议编号冲突，请重试"), code="retry")
    appeal = appeal_actions.register_appeal(
        actor=actor,
        kind=KIND,
        source=suggestion,
        channel="deputy",
        subject=title,
        detail=content,
        appellant_name=deputy.name,
        appellant_phone=deputy.phone,
        grid=grid,
        category=category,
    )
    suggestion.appeal = appeal
    suggestion.save(update_fields=["appeal"])
    return suggestion


# --- many at once: pasted rows and xlsx -------------------------------------------------------

COLUMNS = ("代表姓名", "代表电话", "标题", "建议内容", "网格编码")
REQUIRED_COLUMNS = ("代表姓名", "标题", "建议内容")


def _row_error(errors: list, row: int, column: str, message: str) -> None:
    errors.append({"row": row, "column": column, "message": str(message)})


def _resolve_rows(rows: Iterable[tuple[int, Mapping[str, str]]]) -> tuple[list, list]:
    """Each row's deputy and grid, or its errors (row number, column, message)."""
    rows = list(rows)
    names = {str(r.get("代表姓名") or "").strip() for _n, r in rows}
    deputies: dict[str, list[Deputy]] = {}
    for d in Deputy.objects.filter(name__in=names, active=True):
        deputies.setdefault(d.name, []).append(d)
    codes = {str(r.get("网格编码") or "").strip() for _n, r in rows} - {""}
    grids = {u.code: u for u in Unit.objects.filter(code__in=codes, kind=UnitKind.GRID)}
    errors: list = []
    resolved: list = []
    for number, row in rows:
        name = str(row.get("代表姓名") or "").strip()
        phone = str(row.get("代表电话") or "").strip().replace(" ", "")
        title = str(row.get("标题") or "").strip()
        content = str(row.get("建议内容") or "").strip()
        grid_code = str(row.get("网格编码") or "").strip()
        before = len(errors)
        matches = [d for d in deputies.get(name, []) if not phone or d.phone == phone]
        if not name:
            _row_error(errors, number, "代表姓名", _("请填写代表姓名"))
        elif not matches:
            _row_error(errors, number, "代表姓名", _("代表名册中没有这位在册代表"))
        elif len(matches) > 1:
            _row_error(errors, number, "代表电话", _("同名代表不止一位，请填写代表电话"))
        if len(title) < 2:
            _row_error(errors, number, "标题", _("标题至少2个字"))
        elif len(title) > 200:
            _row_error(errors, number, "标题", _("标题不能超过200个字"))
        if len(content) < 5:
            _row_error(errors, number, "建议内容", _("建议内容至少5个字"))
        if grid_code and grid_code not in grids:
            _row_error(errors, number, "网格编码", _("没有这个网格"))
        if len(errors) == before:
            resolved.append((number, matches[0], title, content, grids.get(grid_code)))
    return resolved, errors


@transaction.atomic
def submit_rows(*, actor, rows: Iterable[tuple[int, Mapping[str, str]]]) -> list[Suggestion]:
    """批量录入: every row or none. Rows are (row number, {column: value}); any error raises
    InvalidInput `import_rows` with `errors` [{row, column, message}] and nothing is kept."""
    _require_writer(actor)
    rows = list(rows)
    if not rows:
        raise InvalidInput(_("没有可录入的建议"), code="empty")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            _("一次最多录入%(n)d条") % {"n": MAX_ROWS}, code="too_many_rows", max=MAX_ROWS
        )
    resolved, errors = _resolve_rows(rows)
    created: list[Suggestion] = []
    if not errors:
        for number, deputy, title, content, grid in resolved:
            try:
                with transaction.atomic():
                    created.append(
                        submit_suggestion(
                            actor=actor, deputy=deputy, title=title, content=content, grid=grid
                        )
                    )
            except DomainError as exc:
                column = {"subject": "标题", "detail": "建议内容"}.get(
                    (exc.details or {}).get("field"), ""
                )
                _row_error(errors, number, column, exc.message)
    if errors:
        raise InvalidInput(
            _("共%(n)d处错误，未录入任何建议") % {"n": len(errors)},
            code="import_rows",
            errors=errors,
        )
    return created


def parse_pasted(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows pasted from a spreadsheet (tab separated, or 、|, as separators): 代表姓名, 代表电话,
    标题, 建议内容, 网格编码 — the order of the template. A header line is skipped."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in (line.split("\t") if "\t" in line else line.split("|"))]
        if cells and cells[0] == COLUMNS[0]:
            continue
        rows.append(
            (number, dict(zip(COLUMNS, cells + [""] * (len(COLUMNS) - len(cells)), strict=False)))
        )
    return rows


MAX_IMPORT_BYTES = 5 * 1024 * 1024
CHECK_CHUNK = 200


def table_rows(content: bytes, file_name: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded xlsx or csv (`evaluation.importer.read_table`: first sheet,
    header row 1 naming the columns, streamed and capped at MAX_ROWS)."""
    from minhu.evaluation.importer import read_table

    headers, rows = read_table(content, file_name, max_rows=MAX_ROWS)
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise InvalidInput(
            _("表头缺少：%(cols)s") % {"cols": "、".join(missing)}, code="bad_header", field="file"
        )
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            _("一次最多录入%(n)d条") % {"n": MAX_ROWS}, code="too_many_rows", max=MAX_ROWS
        )
    out = []
    for number, values in rows:
        row = {
            h: ("" if v is None else str(v).strip())
            for h, v in zip(headers, values, strict=False)
            if h in COLUMNS
        }
        if any(row.values()):
            out.append((number, row))
    return out


def _check_upload(upload) -> str:
    if upload is None:
        raise InvalidInput(_("请选择要导入的文件"), code="required", field="file")
    name = (getattr(upload, "name", "") or "").strip()
    if not name.lower().endswith((".xlsx", ".csv")):
        raise InvalidInput(_("仅支持 .xlsx 或 .csv 文件"), code="unsupported_file", field="file")
    if getattr(upload, "size", 0) > MAX_IMPORT_BYTES:
        raise InvalidInput(_("文件不能超过5MB"), code="file_too_large", field="file")
    return name


def import_file(*, actor, upload) -> list[Suggestion]:
    """导入 in the request (the API and tests): read the table, then `submit_rows`."""
    _require_writer(actor)
    name = _check_upload(upload)
    return submit_rows(actor=actor, rows=table_rows(upload.read(), name))


@transaction.atomic
def start_import(*, actor, upload) -> SuggestionImport:
    """Store an uploaded table and queue its import (`jobs.run_import`); the page follows its
    progress."""
    from minhu.core.jobs import enqueue

    from .jobs import run_import as run_import_job

    _require_writer(actor)
    name = _check_upload(upload)
    imp = SuggestionImport(created_by=actor, file_name=name[-200:])
    imp.file.save("upload" + name[name.rfind(".") :].lower(), upload, save=False)
    imp.save()
    enqueue(run_import_job, import_id=imp.pk)
    return imp


def _finish(imp: SuggestionImport, status: str, **fields) -> SuggestionImport:
    SuggestionImport.objects.filter(pk=imp.pk).update(
        status=status, finished_at=timezone.now(), **fields
    )
    imp.refresh_from_db()
    return imp


def run_import(import_id: int) -> SuggestionImport:
    """Check every row (progress on the row, outside any transaction so the page sees it),
    then write them all in one transaction (`submit_rows`), or none with every error."""
    imp = SuggestionImport.objects.select_related("created_by").get(pk=import_id)
    if imp.finished:
        return imp
    SuggestionImport.objects.filter(pk=imp.pk).update(status=ImportStatus.CHECKING)
    try:
        with imp.file.open("rb") as f:
            rows = table_rows(f.read(), imp.file_name)
    except InvalidInput as e:
        return _finish(
            imp, ImportStatus.REJECTED, errors=[{"row": 0, "column": "", "message": e.message}]
        )
    total = len(rows)
    SuggestionImport.objects.filter(pk=imp.pk).update(total_rows=total)
    errors: list = []
    for start in range(0, total, CHECK_CHUNK):
        errors += _resolve_rows(rows[start : start + CHECK_CHUNK])[1]
        SuggestionImport.objects.filter(pk=imp.pk).update(
            checked_rows=min(start + CHECK_CHUNK, total)
        )
    if not rows:
        errors = [{"row": 0, "column": "", "message": str(_("没有可录入的建议"))}]
    if errors:
        return _finish(imp, ImportStatus.REJECTED, errors=errors[:1000])
    SuggestionImport.objects.filter(pk=imp.pk).update(status=ImportStatus.WRITING)
    try:
        created = submit_rows(actor=imp.created_by, rows=rows)
    except DomainError as e:
        return _finish(
            imp,
            ImportStatus.REJECTED,
            errors=(e.details or {}).get("errors")
            or [{"row": 0, "column": "", "message": e.message}],
        )
    except Exception as e:  # reported on the page; nothing was written (one transaction)
        _finish(
            imp, ImportStatus.FAILED, errors=[{"row": 0, "column": "", "message": str(e)[:300]}]
        )
        raise
    return _finish(imp, ImportStatus.DONE, created_count=len(created))


def suggestion_for(appeal: Appeal) -> Suggestion | None:
    return Suggestion.objects.filter(appeal=appeal).select_related("deputy").first()


def get_deputy(pk) -> Deputy:
    try:
        return Deputy.objects.get(pk=pk)
    except (Deputy.DoesNotExist, ValueError, TypeError):
        raise NotFound()
