"""Search, filters and pagination shared by every appeal list."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.appeals.access import phone_visible_q
from minhu.appeals.kinds import channel_choices
from minhu.appeals.models import OPEN_STATUSES, OutcomeKind, Status, Urgency
from minhu.appeals.search import search_appeals
from minhu.categories.models import Category

from .due import DUE_CHOICES, filter_due_state
from .forms import handling_units

PAGE_SIZE = 50
OPEN = "open"  # the status filter's "every open state" (the overview's 在办)
CLOSED_FILTERS = ("closed_from", "closed_to")  # lists of open work hide them
# (from field, to field, column): the date ranges of the filters
DATE_RANGES = [("date_from", "date_to", "created_at"), (*CLOSED_FILTERS, "closed_at")]


def _blank(label):
    return [("", label)]


class AppealFilterForm(forms.Form):
    """GET filters: q, status, category, unit, channel, due state, date range."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("编号 / 标题 / 内容 / 地址 / 电话"), "type": "search"}
        ),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=_blank(_("全部状态")) + [(OPEN, _("在办（未办结）"))] + list(Status.choices),
    )
    category = forms.ChoiceField(label=_("分类"), required=False)
    unit = forms.ChoiceField(label=_("主办单位"), required=False)
    channel = forms.ChoiceField(
        label=_("渠道"), required=False, choices=lambda: _blank(_("全部渠道")) + channel_choices()
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=_blank(_("全部紧急度")) + list(Urgency.choices)
    )
    due = forms.ChoiceField(label=_("时限"), required=False, choices=DUE_CHOICES)
    outcome_kind = forms.ChoiceField(
        label=_("办理方式"),
        required=False,
        choices=_blank(_("全部办理方式")) + list(OutcomeKind.choices),
    )
    date_from = forms.DateField(
        label=_("受理自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("受理至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_from = forms.DateField(
        label=_("销号自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_to = forms.DateField(
        label=_("销号至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    # Filters only some lists show (the appeal list; the drill-down links of the figures).
    OPTIONAL = ("outcome_kind",)

    def __init__(
        self, data=None, *, user=None, units=None, categories=None, hide=(), extra=(), **kwargs
    ):
        super().__init__(data, **kwargs)
        self.user = user
        hide = (*hide, *(n for n in self.OPTIONAL if n not in extra))
        if categories is None:
            categories = list(Category.objects.filter(active=True).select_related("parent"))
        cat_choices = [("", _("全部分类"))]
        tops = [c for c in categories if not c.parent_id]
        for top in tops:
            cat_choices.append((str(top.pk), top.name))
            cat_choices += [(str(c.pk), f"　{c.name}") for c in categories if c.parent_id == top.pk]
        self.fields["category"].choices = cat_choices
        if units is None:
            units = handling_units()
        self.fields["unit"].choices = [("", _("全部单位"))] + [(str(u.pk), u.name) for u in units]
        for name in hide:
            self.fields.pop(name, None)

    def clean(self):
        d = super().clean()
        for (start, end, _column), what in zip(DATE_RANGES, (_("受理"), _("销号")), strict=True):
            if d.get(start) and d.get(end) and d[start] > d[end]:
                self.add_error(
                    end,
                    _("%(what)s起始日期 %(start)s 晚于截止日期 %(end)s")
                    % {"what": what, "start": d[start], "end": d[end]},
                )
        return d

    @property
    def active_count(self) -> int:
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for k, v in self.cleaned_data.items() if v not in (None, "") and k != "q")

    def apply(self, qs: QuerySet) -> QuerySet:
        if not self.is_bound or not self.is_valid():
            return qs
        d = self.cleaned_data
        # Phone digits match only where the user may see the phone unmasked.
        phone = phone_visible_q(self.user) if self.user is not None else None
        qs = search_appeals(qs, d.get("q") or "", appellant_name=True, phone=phone)
        if d.get("status") == OPEN:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("category"):
            cid = int(d["category"])
            qs = qs.filter(Q(category_id=cid) | Q(category__parent_id=cid))
        if d.get("unit"):
            qs = qs.filter(lead_unit_id=int(d["unit"]))
        if d.get("channel"):
            qs = qs.filter(channel=d["channel"])
        if d.get("urgency"):
            qs = qs.filter(urgency=d["urgency"])
        if d.get("due"):
            qs = filter_due_state(qs, d["due"])
        if d.get("outcome_kind"):
            qs = qs.filter(outcome_kind=d["outcome_kind"])
        tz = timezone.get_current_timezone()
        # local days, the "to" day included: [from 00:00, to + 1 day 00:00)
        for start, end, column in DATE_RANGES:
            if d.get(start):
                since = dt.datetime.combine(d[start], dt.time.min, tzinfo=tz)
                qs = qs.filter(**{f"{column}__gte": since})
            if d.get(end):
                until = dt.datetime.combine(d[end] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
                qs = qs.filter(**{f"{column}__lt": until})
        return qs


# Columns a list may be sorted on: ?sort=key (ascending) or ?sort=-key (descending); the
# column headers link to them (the `sort_th` tag), the list's xlsx export keeps the order.
SORT_COLUMNS: dict[str, str] = {
    "code": "code",
    "subject": "subject",
    "status": "status",
    "channel": "channel",
    "category": "category__name",
    "street": "street__name",
    "lead_unit": "lead_unit__name",
    "created_at": "created_at",
    "due": "current_due_at",
    "replied_at": "replied_at",
}


# The phone's sort menu (its lists are cards, without column headers).
SORT_MENU = [
    ("", _("默认排序")),
    ("-created_at", _("受理时间（新→旧）")),
    ("created_at", _("受理时间（旧→新）")),
    ("due", _("当前时限（早→晚）")),
    ("code", _("编号")),
    ("subject", _("标题")),
    ("status", _("状态")),
    ("category", _("分类")),
    ("street", _("街道")),
    ("lead_unit", _("主办单位")),
]


def sorted_by(qs: QuerySet, sort: str | None, default: tuple[str, ...]) -> tuple[QuerySet, str]:
    """`qs` in the order `sort` asks for (empty values last, then by id), or `default` when
    `sort` names no sortable column. Returns the queryset and the sort applied ("" for the
    default)."""
    sort = (sort or "").strip()
    column = SORT_COLUMNS.get(sort.lstrip("-"))
    if column is None:
        return qs.order_by(*default), ""
    if sort.startswith("-"):
        return qs.order_by(F(column).desc(nulls_last=True), "-id"), sort
    return qs.order_by(F(column).asc(nulls_last=True), "id"), sort


def paginate(request, qs, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(qs, per_page)
    return paginator.get_page(request.GET.get("page"))


def querystring_without(request, *names: str) -> str:
    """The current query string minus `names` (for pagination and tab links)."""
    params = request.GET.copy()
    for n in names:
        params.pop(n, None)
    return params.urlencode()
