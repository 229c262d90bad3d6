"""Ledgers (台账) as xlsx: per handler, per unit, per category domain and per day.

Written with openpyxl's write-only mode from a server-side iterator, so a ledger of hundreds of
thousands of rows needs little memory: header in bold, frozen, with column widths and date
formats. Headers, titles and the sheet name are in the language active when the ledger is
generated (the request's)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Appeal, Assignment
from minhu.categories.fields import attributes_text
from minhu.categories.models import Category
from minhu.core import xlsx
from minhu.core.errors import InvalidInput, NotFound
from minhu.orgs.models import Unit, User
from minhu.orgs.scope import scope_of, units_visible_to

from .aggregates import local_start

KINDS = {
    "handler": gettext_lazy("承办人台账"),
    "unit": gettext_lazy("单位台账"),
    "domain": gettext_lazy("领域台账"),
    "day": gettext_lazy("每日问题台账"),
}
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# (key, header, width), in the order of row_values. Dates are naive local datetimes (xlsx has
# no time zones).
COLUMNS: list[tuple[str, str, int]] = [
    ("no", gettext_lazy("序号"), 6),
    ("code", gettext_lazy("工单编号"), 13),
    ("created_at", gettext_lazy("受理时间"), 17),
    ("channel", gettext_lazy("渠道"), 12),
    ("appellant", gettext_lazy("诉求人"), 10),
    ("subject", gettext_lazy("问题"), 30),
    ("detail", gettext_lazy("问题描述"), 50),
    ("domain", gettext_lazy("领域"), 12),
    ("category", gettext_lazy("分类"), 14),
    ("street", gettext_lazy("街道/镇"), 12),
    ("grid", gettext_lazy("网格"), 18),
    ("address", gettext_lazy("地址"), 24),
    ("attributes", gettext_lazy("附加信息"), 30),
    ("lead_unit", gettext_lazy("主办单位"), 16),
    ("measures", gettext_lazy("整改措施"), 36),
    ("resolve_due_at", gettext_lazy("整改时限"), 17),
    ("responsible_office", gettext_lazy("责任科室"), 14),
    ("responsible_person", gettext_lazy("责任人"), 10),
    ("status", gettext_lazy("状态"), 12),
    ("outcome", gettext_lazy("办理结果"), 36),
    ("closed_at", gettext_lazy("办结时间"), 17),
    ("satisfaction", gettext_lazy("满意度"), 10),
]
# Lazy: compares equal to the header text in the active language.
HEADERS = [c[1] for c in COLUMNS]
DATE_COLUMNS = {"created_at", "resolve_due_at", "closed_at"}


def headers() -> list[str]:
    """The column headers in the active language."""
    return [str(h) for h in HEADERS]


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


@dataclass
class LedgerRequest:
    kind: str
    title: str
    queryset: QuerySet[Appeal]


def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    end = end or today
    start = start or end.replace(day=1)
    if start > end:
        raise InvalidInput(_("开始日期不能晚于结束日期"), code="invalid_range", field="start")
    if (end - start).days > 366:
        raise InvalidInput(_("台账时间跨度不能超过一年"), code="range_too_long", field="start")
    return start, end


def build(
    user,
    kind: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    unit_id: int | None = None,
    category_id: int | None = None,
    handler_id: int | None = None,
    status: str | None = None,
) -> LedgerRequest:
    """The appeals of one ledger, within what `user` may see. Dates are local, end inclusive."""
    if kind not in KINDS:
        raise InvalidInput(_("台账类型不正确"), code="invalid_kind", field="kind")
    if kind == "day":
        start = end = start or timezone.localdate()
    start, end = _range(start, end)
    qs = appeals_visible_to(user).filter(
        created_at__gte=local_start(start), created_at__lt=local_start(end + dt.timedelta(days=1))
    )
    if status:
        qs = qs.filter(status=status)
    title = str(KINDS[kind])
    if kind == "handler":
        scope = scope_of(user)
        handler_id = handler_id or user.pk
        handler = User.objects.filter(pk=handler_id).first()
        if handler is None:
            raise NotFound()
        if handler_id != user.pk and not scope.all_units:
            # Leaders see the ledgers of people in their units only.
            if not handler.memberships.filter(unit_id__in=scope.unit_ids).exists():
                raise NotFound()
        qs = qs.filter(
            Exists(Assignment.objects.filter(appeal=OuterRef("pk"), claimed_by_id=handler_id))
        )
        title = _("%(name)s的个人台账") % {"name": handler}
    elif kind == "unit":
        if unit_id is None:
            raise InvalidInput(_("请选择单位"), code="required", field="unit")
        unit = units_visible_to(user).filter(pk=unit_id).first()
        if unit is None:
            raise NotFound()
        subtree = Unit.objects.filter(path__startswith=unit.path).values("pk")
        qs = qs.filter(lead_unit_id__in=subtree)
        title = _("%(unit)s问题台账") % {"unit": unit.name}
    elif kind == "domain":
        cat = Category.objects.filter(pk=category_id).first() if category_id else None
        if cat is None:
            raise InvalidInput(_("请选择领域（一级分类）"), code="required", field="category")
        ids = [cat.pk, *cat.children.values_list("pk", flat=True)]
        qs = qs.filter(category_id__in=ids)
        title = _("%(domain)s领域台账") % {"domain": cat.name}
    elif kind == "day":
        title = _("%(date)s问题台账") % {"date": date_format(start, "DATE_FORMAT")}
    if kind != "day":
        title += _("（%(start)s至%(end)s）") % {
            "start": f"{start:%Y-%m-%d}",
            "end": f"{end:%Y-%m-%d}",
        }
    qs = qs.select_related("category", "category__parent", "street", "grid", "lead_unit").order_by(
        "created_at", "id"
    )
    return LedgerRequest(kind, title, qs)


def row_values(i: int, a: Appeal, fields_cache: dict | None = None) -> list:
    """One ledger row; `fields_cache` is shared across rows (per-category fields)."""
    cat = a.category
    return [
        i,
        a.code,
        _naive(a.created_at),
        a.get_channel_display(),
        a.appellant_name or "",
        a.subject,
        a.detail,
        (cat.top.name if cat else ""),
        (cat.name if cat else ""),
        a.street.name if a.street_id else "",
        a.grid.name if a.grid_id else "",
        a.address,
        attributes_text(cat, a.attributes, fields_cache),
        a.lead_unit.name if a.lead_unit_id else "",
        a.measures,
        _naive(a.resolve_due_at),
        a.responsible_office,
        a.responsible_person,
        a.get_status_display(),
        a.outcome,
        _naive(a.closed_at or a.resolved_at),
        a.get_satisfaction_display() if a.satisfaction else "",
    ]


def write_xlsx(title: str, appeals: Iterable[Appeal], out) -> int:
    """Write the ledger to a path or file object. Returns the number of rows."""
    wb = xlsx.Workbook(write_only=True)
    ws = wb.sheet(_("台账"))
    ws.freeze("A3")
    ws.column_widths(width for _key, _header, width in COLUMNS)
    ws.append([title], bold=True, size=14)
    ws.append(headers(), bold=True, fill="DDEBF7", center=True)
    formats = {
        i: DATETIME_FORMAT
        for i, (key, _header, _width) in enumerate(COLUMNS)
        if key in DATE_COLUMNS
    }
    n = 0
    fields_cache: dict = {}
    for n, appeal in enumerate(appeals, start=1):
        ws.append(row_values(n, appeal, fields_cache), number_formats=formats)
    wb.save(out)
    return n


def render(req: LedgerRequest):
    """A temporary file holding the xlsx (deleted when closed)."""
    f = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(req.title, req.queryset.iterator(chunk_size=2000), f)
    f.seek(0)
    return f


def import_template():
    """An empty import workbook with the accepted headers and one example row. The headers and
    values are the import format (Chinese, as the 12345 system exports), whatever the language."""
    from .importer import template_headers

    wb = xlsx.Workbook(write_only=True)
    ws = wb.sheet("历史工单")
    ws.freeze("A2")
    ws.append(template_headers(), bold=True)
    example = {
        "工单编号": "12345-2024-000001",
        "受理时间": "2024-03-05 10:20",
        "渠道": "12345热线",
        "诉求人": "张先生",
        "联系电话": "13800000000",
        "诉求标题": "小区路灯不亮",
        "诉求内容": "小区东门路灯已经坏了一周，晚上出行不便",
        "主办单位": "（单位名称或编码）",
        "状态": "已办结",
        "办结时间": "2024-03-07 16:00",
        "办理结果": "已更换灯具",
        "是否及时联系": "是",
        "是否解决": "是",
        "满意度": "满意",
    }
    ws.append([example.get(h, "") for h in template_headers()])
    f = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(f)
    f.seek(0)
    return f
