"""Unit workbench (承办单位工作台): what a unit must claim, handle, answer or report."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from minhu.appeals.models import (
    Appeal,
    Assignment,
    AssignmentStatus,
    Status,
    Summons,
    SummonsStatus,
)
from minhu.orgs.models import Unit
from minhu.orgs.scope import scope_of

from ..due import due_q, with_due_state
from ..filters import CLOSED_FILTERS, AppealFilterForm, paginate, sorted_by
from ..permissions import page_required, unit_ids_acting
from .common import is_htmx

TABS = [
    ("claim", gettext_lazy("待签收")),
    ("progress", gettext_lazy("办理中")),
    ("reply", gettext_lazy("待答复")),
    ("due_soon", gettext_lazy("即将超时")),
    ("overdue", gettext_lazy("已超时")),
    ("returned", gettext_lazy("已退回")),
    ("summoned", gettext_lazy("吹哨报到")),
]
WORKING = (Status.IN_PROGRESS, Status.ESCALATED)


def _unit_querysets(unit_id: int) -> dict:
    """Base querysets per tab for one unit (before search filters)."""
    pending = Assignment.objects.filter(
        appeal=OuterRef("pk"), unit_id=unit_id, active=True, status=AssignmentStatus.PENDING
    )
    claimed = Assignment.objects.filter(
        appeal=OuterRef("pk"), unit_id=unit_id, active=True, status=AssignmentStatus.CLAIMED
    )
    reported = Summons.objects.filter(
        appeal=OuterRef("pk"), department_id=unit_id, status=SummonsStatus.REPORTED
    )
    active_work = Appeal.objects.filter(
        Q(Exists(claimed) | Exists(reported), status__in=WORKING)
        | Q(Exists(pending), status__in=[Status.DISPATCHED, *WORKING])
    )
    return {
        "claim": Appeal.objects.filter(Exists(pending)),
        "progress": Appeal.objects.filter(Exists(claimed) | Exists(reported), status__in=WORKING),
        "reply": Appeal.objects.filter(lead_unit_id=unit_id, status=Status.RESOLVED),
        "due_soon": active_work.filter(due_q("due_soon")),
        "overdue": active_work.filter(due_q("overdue")),
    }


def tab_counts(unit_id: int) -> dict[str, int]:
    qsets = _unit_querysets(unit_id)
    counts = {k: qsets[k].count() for k in ("claim", "progress", "reply", "due_soon", "overdue")}
    counts["returned"] = Assignment.objects.filter(
        unit_id=unit_id, status=AssignmentStatus.RETURNED
    ).count()
    counts["summoned"] = Summons.objects.filter(
        department_id=unit_id, status__in=[SummonsStatus.PENDING, SummonsStatus.REPORTED]
    ).count()
    return counts


def chosen_tab(user, params) -> tuple[list[Unit], Unit | None, str]:
    """The user's acting units, the one `params` chose (the first by default; None without any)
    and the tab."""
    units = list(Unit.objects.filter(pk__in=unit_ids_acting(scope_of(user))).order_by("path"))
    chosen = params.get("unit")
    unit = next((u for u in units if str(u.pk) == chosen), units[0] if units else None)
    tab = params.get("tab", "claim")
    return units, unit, tab if tab in dict(TABS) else "claim"


def tab_queryset(user, unit_id: int, tab: str, params):
    """One appeal tab of a unit's workbench (not 已退回 / 吹哨报到) for `params`: (filter form,
    rows). The page and its xlsx export both read it."""
    filters = AppealFilterForm(params or None, user=user, hide=("unit", *CLOSED_FILTERS))
    qs = filters.apply(_unit_querysets(unit_id)[tab])
    qs = with_due_state(qs).select_related("category__parent", "street", "grid", "lead_unit")
    default = ("current_due_at", "id") if tab != "reply" else ("resolved_at", "id")
    qs, _sort = sorted_by(qs, params.get("sort"), default)
    return filters, qs


@page_required("workbench")
def workbench(request):
    units, unit, tab = chosen_tab(request.user, request.GET)
    if unit is None:
        return render(request, "web/workbench/no_unit.html", status=200)
    counts = tab_counts(unit.pk)
    ctx = {
        "unit": unit,
        "units": units,
        "tab": tab,
        "tabs": [(k, label, counts.get(k, 0)) for k, label in TABS],
    }
    if tab == "returned":
        qs = (
            Assignment.objects.filter(unit=unit, status=AssignmentStatus.RETURNED)
            .select_related("appeal__category__parent", "appeal__street", "appeal__lead_unit")
            .order_by("-dispatched_at", "-id")
        )
        q = (request.GET.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(appeal__code__iexact=q) | Q(appeal__subject__icontains=q))
        ctx["page"] = paginate(request, qs)
        ctx["q"] = q
        return render(request, "web/workbench/workbench.html", ctx)
    if tab == "summoned":
        show = request.GET.get("show", "open")
        qs = Summons.objects.filter(department=unit).select_related(
            "appeal__street", "appeal__lead_unit", "whistle__unit", "appeal__category"
        )
        if show == "open":
            qs = qs.filter(status__in=[SummonsStatus.PENDING, SummonsStatus.REPORTED])
        ctx["page"] = paginate(request, qs.order_by("status", "report_due_at", "id"))
        ctx["show"] = show
        return render(request, "web/workbench/workbench.html", ctx)
    filters, qs = tab_queryset(request.user, unit.pk, tab, request.GET)
    page = paginate(request, qs)
    # Which rows this unit leads (for the role column) without a query per row.
    ids = [a.pk for a in page.object_list]
    roles = dict(
        Assignment.objects.filter(appeal_id__in=ids, unit=unit, active=True).values_list(
            "appeal_id", "role"
        )
    )
    for a in page.object_list:
        a.my_role = roles.get(a.pk, "lead" if a.lead_unit_id == unit.pk else "summoned")
    ctx.update(page=page, filters=filters, tab_keep=[("unit", unit.pk), ("tab", tab)])
    return render(request, "web/workbench/workbench.html", ctx)


def row_response(request, appeal, name, ok, message, form):
    """After claiming (or reporting) from a workbench row: that row, updated."""
    if not is_htmx(request):
        (messages.success if ok else messages.error)(request, message or gettext_lazy("操作失败"))
        return redirect(request.POST.get("next") or reverse("web:workbench"))
    return render(
        request,
        "web/workbench/_row_result.html",
        {"appeal": appeal, "ok": ok, "message": message, "form": form, "cols": 9},
    )
