"""xlsx exports of the staff lists, with the same filters as the page (desk feature 1).

Each exportable list names the page whose roles may export it and a function giving its rows
for a query string: the very function the page itself reads (`search_queryset`,
`queue_queryset`, `tab_queryset`), so an export holds exactly the rows the list shows, in its
order. Personal data is masked as on the page, by role: the phone (and the name with it) only
where the user may see the phone unmasked (`appeals.access.phone_visible_q`). Files are
written only through `minhu.core.xlsx` (every text cell as text, never a formula)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals.access import mask_phone, phone_visible_q
from minhu.appeals.models import (
    Appeal,
    AppellantKind,
    Assignment,
    AssignmentStatus,
    ExtensionRequest,
    ExtensionStatus,
    Summons,
    SummonsStatus,
)
from minhu.core import xlsx
from minhu.core.errors import InvalidInput, NotFound
from minhu.registry.personal import mask_name

from .due import DUE_STATES, with_due_state

INLINE_ROWS = 2000  # at most this many rows are written while the user waits; more: a job
MAX_ROWS = 200_000  # one file; narrow the filters for more
PROGRESS_EVERY = 500
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
ROW_RELATED = ("category__parent", "street", "grid", "lead_unit")

# (header, width) in the order of `row_values`.
COLUMNS = [
    (gettext_lazy("序号"), 6),
    (gettext_lazy("工单编号"), 14),
    (gettext_lazy("受理时间"), 17),
    (gettext_lazy("渠道"), 10),
    (gettext_lazy("诉求人"), 10),
    (gettext_lazy("联系电话"), 14),
    (gettext_lazy("标题"), 30),
    (gettext_lazy("问题描述"), 50),
    (gettext_lazy("分类"), 16),
    (gettext_lazy("街道/镇"), 12),
    (gettext_lazy("网格"), 16),
    (gettext_lazy("地址"), 24),
    (gettext_lazy("主办单位"), 16),
    (gettext_lazy("状态"), 10),
    (gettext_lazy("当前时限"), 17),
    (gettext_lazy("时限状态"), 10),
    (gettext_lazy("办结时间"), 17),
]
DATE_COLUMNS = {2, 14, 16}


@dataclass
class Rows:
    title: str
    queryset: QuerySet[Appeal]


def _filters_ok(filters) -> None:
    """A list with bad filters shows the error; its export refuses instead of exporting all."""
    if filters.is_bound and not filters.is_valid():
        first = next(iter(filters.errors.values()))[0]
        raise InvalidInput(
            _("筛选条件有误：%(error)s") % {"error": first}, code="invalid_filters", field="params"
        )


def _appeals(user, params) -> Rows:
    from .views.lists import search_queryset

    filters, _sort, qs = search_queryset(user, params)
    _filters_ok(filters)
    return Rows(_("诉求查询"), qs)


def _dispatch(user, params) -> Rows:
    from .views.dispatch import TABS, queue_queryset

    tabs = {key: label for key, label, _st in TABS}
    tab = params.get("tab", "new")
    tab = tab if tab in tabs else "new"
    title = _("调度中心·%(tab)s") % {"tab": tabs[tab]}
    if tab == "extensions":
        pending = ExtensionRequest.objects.filter(
            appeal=OuterRef("pk"), status=ExtensionStatus.PENDING
        )
        qs = with_due_state(Appeal.objects.filter(Exists(pending))).select_related(*ROW_RELATED)
        return Rows(title, qs.order_by("current_due_at", "id"))
    filters, qs = queue_queryset(user, tab, params)
    _filters_ok(filters)
    return Rows(title, with_due_state(qs))


def _follow_up(user, params) -> Rows:
    from .views.followup import TABS, queue_queryset

    tabs = dict(TABS)
    tab = params.get("tab", "pending")
    tab = tab if tab in tabs else "pending"
    filters, qs = queue_queryset(user, tab, params)
    _filters_ok(filters)
    return Rows(_("回访·%(tab)s") % {"tab": tabs[tab]}, with_due_state(qs))


def _workbench(user, params) -> Rows:
    from .views.workbench import TABS, chosen_tab, tab_queryset

    _units, unit, tab = chosen_tab(user, params)
    if unit is None:
        raise NotFound()
    title = _("%(unit)s·%(tab)s") % {"unit": unit.name, "tab": dict(TABS)[tab]}
    if tab == "returned":
        returned = Assignment.objects.filter(
            appeal=OuterRef("pk"), unit=unit, status=AssignmentStatus.RETURNED
        )
        qs = Appeal.objects.filter(Exists(returned))
        if q := (params.get("q") or "").strip():
            qs = qs.filter(Q(code__iexact=q) | Q(subject__icontains=q))
    elif tab == "summoned":
        summons = Summons.objects.filter(appeal=OuterRef("pk"), department=unit)
        if params.get("show", "open") == "open":
            summons = summons.filter(status__in=[SummonsStatus.PENDING, SummonsStatus.REPORTED])
        qs = Appeal.objects.filter(Exists(summons))
    else:
        filters, qs = tab_queryset(user, unit.pk, tab, params)
        _filters_ok(filters)
        return Rows(title, qs)
    qs = with_due_state(qs).select_related(*ROW_RELATED).order_by("-created_at", "-id")
    return Rows(title, qs)


@dataclass(frozen=True)
class ExportList:
    page: str  # web.permissions.PAGE_ROLES key, or "" for every staff user
    rows: Callable[..., Rows]
    url: str  # the list page's URL name (saved views open it)


LISTS: dict[str, ExportList] = {
    "appeals": ExportList("", _appeals, "web:appeals"),
    "dispatch": ExportList("dispatch", _dispatch, "web:dispatch"),
    "follow_up": ExportList("follow_up", _follow_up, "web:follow_up"),
    "workbench": ExportList("workbench", _workbench, "web:workbench"),
}


def rows_for(user, list_name: str, params: str) -> Rows:
    """The rows of list `list_name` with the query string `params`, as `user` sees them, each
    annotated `phone_ok` (may the user see this row's phone)."""
    spec = LISTS.get(list_name)
    if spec is None:
        raise InvalidInput(_("不能导出该列表"), code="unknown_list", field="list")
    rows = spec.rows(user, QueryDict(params))
    visible = phone_visible_q(user)
    if visible is None:
        flag = Value(False, output_field=BooleanField())
    elif not visible:  # Q(): every row
        flag = Value(True, output_field=BooleanField())
    else:
        flag = Case(
            When(visible, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    rows.queryset = rows.queryset.annotate(phone_ok=flag)
    return rows


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def row_values(i: int, a: Appeal) -> list:
    if a.appellant_kind == AppellantKind.ANONYMOUS:
        name = phone = _("匿名")
    elif a.phone_ok:
        name, phone = a.appellant_name, a.appellant_phone
    else:
        name, phone = mask_name(a.appellant_name), mask_phone(a.appellant_phone)
    cat = a.category
    return [
        i,
        a.code,
        _naive(a.created_at),
        a.get_channel_display(),
        name or "",
        phone or "",
        a.subject,
        a.detail,
        (f"{cat.parent.name} / {cat.name}" if cat and cat.parent_id else (cat.name if cat else "")),
        a.street.name if a.street_id else "",
        a.grid.name if a.grid_id else "",
        a.address,
        a.lead_unit.name if a.lead_unit_id else "",
        a.get_status_display(),
        _naive(a.current_due_at) if a.due_state else None,
        str(DUE_STATES.get(a.due_state, "")),
        _naive(a.closed_at),
    ]


def write(title: str, appeals: Iterable[Appeal], out, progress=None) -> int:
    """Write the rows to a path or file object; `progress(n)` every PROGRESS_EVERY rows.
    Returns the number of rows."""
    wb = xlsx.Workbook(write_only=True)
    ws = wb.sheet(title)
    ws.freeze("A3")
    ws.column_widths(width for _header, width in COLUMNS)
    ws.append([title], bold=True, size=14)
    ws.append([str(h) for h, _w in COLUMNS], bold=True, fill="DDEBF7", center=True)
    formats = dict.fromkeys(DATE_COLUMNS, DATETIME_FORMAT)
    n = 0
    for n, appeal in enumerate(appeals, start=1):
        ws.append(row_values(n, appeal), number_formats=formats)
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)
    wb.save(out)
    return n


def temporary_file():
    return tempfile.TemporaryFile(suffix=".xlsx")
