"""Dispatch centre (调度中心): queues of new, returned, unclaimed and escalated appeals and of
extension requests; the classify-and-dispatch panel with candidate duplicates; hotline intake."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals import actions, guards
from minhu.appeals.models import (
    Appeal,
    AssignmentStatus,
    ExtensionRequest,
    ExtensionStatus,
    Status,
    SummonsStatus,
    Urgency,
)
from minhu.core.errors import DomainError
from minhu.orgs.models import Role, Unit
from minhu.orgs.scope import scope_of

from .. import forms as f
from ..duplicates import candidates, linked
from ..filters import CLOSED_FILTERS, AppealFilterForm, paginate, sorted_by
from ..permissions import page_required
from .common import form_error, is_htmx, visible_appeal_or_404
from .dispatch_form import dispatch_choices, dispatch_form

logger = logging.getLogger("minhu.web")

TABS = [
    ("new", gettext_lazy("待派单"), Status.NEW),
    ("returned", gettext_lazy("已退回"), Status.RETURNED),
    ("dispatched", gettext_lazy("待签收"), Status.DISPATCHED),
    ("escalated", gettext_lazy("吹哨中"), Status.ESCALATED),
    ("extensions", gettext_lazy("延期申请"), None),
]
PANEL_TABS = {"new", "returned", "dispatched"}
URGENCY_ORDER = Case(
    When(urgency=Urgency.CRITICAL, then=Value(0)),
    When(urgency=Urgency.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def tab_counts() -> dict[str, int]:
    statuses = [st for _key, _label, st in TABS if st]
    # Filtered by status first: the status index reads only the queues' rows, not the history.
    counts = Appeal.objects.filter(status__in=statuses).aggregate(
        **{key: Count("pk", filter=Q(status=st)) for key, _label, st in TABS if st}
    )
    counts["extensions"] = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).count()
    return counts


# The panel shows a proposal stored at intake at once (it pre-fills the form); one that must be
# computed now (an appeal registered before routing was set up) costs a dozen queries, so it
# is loaded after the panel (htmx) and offered with its one-click accept.
LAZY = {"lazy": True}


def machine_proposal(appeal: Appeal, *, compute: bool = True) -> dict | None:
    """The routing engine's proposal for the panel (top-3 categories, place, lead unit), None,
    or LAZY when there is no stored one and `compute` is off. A failure in routing never keeps
    the dispatcher from working: it is logged."""
    from minhu.routing import proposals

    try:
        if not compute and proposals.latest_decision(appeal) is None:
            fresh = appeal.status in (Status.NEW, Status.RETURNED)
            return LAZY if fresh else None
        proposal = proposals.proposal_for(appeal)
    except Exception:
        logger.exception("routing proposal for appeal %s failed", appeal.pk)
        return None
    if proposal:
        proposal["percent"] = round(100 * float(proposal.get("confidence") or 0))
        proposal["can_accept"] = bool(
            proposal.get("category_id")
            and proposal.get("lead_unit_id")
            and not proposal.get("lead_unit_returned")
        )
    return proposal


def panel_context(
    request,
    appeal: Appeal,
    *,
    form=None,
    merge_form=None,
    link_form=None,
    flash=None,
    choices=None,
) -> dict:
    appeal = Appeal.objects.select_related(
        "category__parent__default_lead_unit",
        "category__default_lead_unit",
        "grid",
        "street",
        "lead_unit",
        "collection_point",
    ).get(pk=appeal.pk)
    returned = (
        appeal.assignments.filter(status=AssignmentStatus.RETURNED)
        .select_related("unit")
        .order_by("-round")
        .first()
    )
    proposal = machine_proposal(appeal, compute=False)
    prefill = proposal if proposal and not proposal.get("lazy") else None
    links = linked(appeal, request.user)
    return {
        "appeal": appeal,
        "proposal": proposal,
        "form": form
        or dispatch_form(appeal, choices=choices or dispatch_choices(), proposal=prefill),
        "merge_form": merge_form or f.MergeForm(),
        "link_form": link_form or f.LinkForm(),
        "duplicates": candidates(appeal, user=request.user),
        "links": links,
        "linked_ids": {a.pk for a in links},
        "photos": list(appeal.attachments.order_by("created_at")[:6]),
        "last_return": returned,
        "phone": appeal.appellant_phone,
        "flash": flash,
        "can_dispatch": appeal.can_move_to(Status.DISPATCHED),
    }


def queue_queryset(user, tab: str, params, *, units=None, categories=None):
    """One appeal queue of the centre (not the extension requests) for `params`: (filter form,
    rows). The page and its xlsx export both read it."""
    status = {k: st for k, _l, st in TABS}[tab]
    filters = AppealFilterForm(
        params or None,
        user=user,
        hide=("status", *CLOSED_FILTERS),
        units=units,
        categories=categories,
    )
    qs = filters.apply(Appeal.objects.filter(status=status)).select_related(
        "category__parent", "street", "grid", "lead_unit"
    )
    if tab == "escalated":
        qs = qs.annotate(
            n_summons=Count(
                "summonses",
                filter=~Q(summonses__status=SummonsStatus.CANCELLED),
                distinct=True,
            ),
            n_reported=Count(
                "summonses",
                filter=Q(summonses__status__in=[SummonsStatus.REPORTED, SummonsStatus.ANSWERED]),
                distinct=True,
            ),
        )
    if tab in ("escalated", "dispatched"):
        default = ("current_due_at", "id")
    else:
        qs = qs.annotate(urgency_rank=URGENCY_ORDER)
        default = ("urgency_rank", "created_at", "id")
    qs, _sort = sorted_by(qs, params.get("sort"), default)
    return filters, qs


@page_required("dispatch")
def dispatch_centre(request):
    tab = request.GET.get("tab", "new")
    if tab not in {t[0] for t in TABS}:
        tab = "new"
    counts = tab_counts()
    ctx = {"tab": tab, "tabs": [(k, label, counts.get(k, 0)) for k, label, _st in TABS]}
    if tab == "extensions":
        qs = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).select_related(
            "appeal__lead_unit", "appeal__category", "unit", "requested_by"
        )
        ctx["page"] = paginate(request, qs.order_by("requested_at", "id"))
        ctx["decide_form"] = f.DecideExtensionForm()
        return render(request, "web/dispatch/centre.html", ctx)
    units = list(f.handling_units())
    categories = list(f.active_categories())
    filters, qs = queue_queryset(request.user, tab, request.GET, units=units, categories=categories)
    page = paginate(request, qs)
    ctx.update(page=page, filters=filters, tab_keep=[("tab", tab)])
    if tab in PANEL_TABS:
        ctx["bulk_units"] = units  # 批量派单 to one unit (each row through `dispatch`)
        selected = None
        wanted = request.GET.get("id")
        if wanted and wanted.isdigit():
            selected = Appeal.objects.filter(pk=int(wanted)).first()
        elif page.object_list:
            selected = page.object_list[0]
        if selected is not None:
            choices = dispatch_choices(units=units, categories=categories)
            ctx["panel"] = panel_context(request, selected, choices=choices)
            ctx["selected_id"] = selected.pk
    return render(request, "web/dispatch/centre.html", ctx)


@page_required("dispatch")
def dispatch_panel(request, pk: int):
    appeal = visible_appeal_or_404(request.user, pk)
    return render(request, "web/dispatch/_panel.html", panel_context(request, appeal))


@page_required("dispatch")
def dispatch_proposal(request, pk: int):
    """The machine proposal computed now (for an appeal without a stored one), for the panel."""
    appeal = visible_appeal_or_404(request.user, pk)
    ctx = {
        "appeal": appeal,
        "proposal": machine_proposal(appeal),
        "can_dispatch": appeal.can_move_to(Status.DISPATCHED),
    }
    return render(request, "web/dispatch/_proposal.html", ctx)


# Actions posted from the panel that leave the appeal in its queue (the panel stays open).
PANEL_STAYS = {"link", "unlink"}
PANEL_FORMS = {"dispatch": "form", "merge": "merge_form", "link": "link_form"}


def panel_url(appeal: Appeal) -> str:
    """The dispatch centre with `appeal` selected in its tab (plain-POST fallback)."""
    tab = next((key for key, _label, st in TABS if st == appeal.status), None)
    if tab is None or tab not in PANEL_TABS:
        return reverse("web:dispatch")
    return reverse("web:dispatch") + f"?tab={tab}&id={appeal.pk}"


def panel_response(request, appeal, name, ok, message, form):
    """After an action posted from the panel: the panel again, the queue row removed and the
    tab counts refreshed (htmx out-of-band swaps). Linking keeps the appeal in its queue: the
    panel is shown again with the message."""
    if ok and name in PANEL_STAYS:
        if not is_htmx(request):
            messages.success(request, message)
            return redirect(panel_url(appeal))
        return render(
            request,
            "web/dispatch/_panel.html",
            panel_context(request, appeal, flash=("success", message)),
        )
    if ok:
        appeal.refresh_from_db()
        ctx = {
            "appeal": appeal,
            "done": True,
            "flash": ("success", message),
            "counts": tab_counts(),
        }
        if not is_htmx(request):
            messages.success(request, message)
            return redirect(reverse("web:dispatch"))
        return render(request, "web/dispatch/_panel_done.html", ctx)
    kwargs = {PANEL_FORMS[name]: form} if name in PANEL_FORMS else {}
    ctx = panel_context(request, appeal, flash=("error", message), **kwargs)
    if not is_htmx(request):
        return render(request, "web/dispatch/_panel.html", ctx, status=400)
    return render(request, "web/dispatch/_panel.html", ctx)


def extension_row_response(request, appeal, name, ok, message, form):
    ext_id = request.POST.get("extension")
    ext = (
        ExtensionRequest.objects.select_related(
            "appeal__lead_unit", "appeal__category", "unit", "requested_by", "decided_by"
        )
        .filter(pk=ext_id, appeal=appeal)
        .first()
    )
    if not is_htmx(request):
        (messages.success if ok else messages.error)(request, message or _("操作失败"))
        return redirect(reverse("web:dispatch") + "?tab=extensions")
    ctx = {
        "ext": ext,
        "flash": ("success" if ok else "error", message),
        "decide_form": form if not ok else f.DecideExtensionForm(),
        "counts": tab_counts() if ok else None,
    }
    return render(request, "web/dispatch/_extension_row.html", ctx)


@page_required("intake")
def intake(request):
    """Register an appeal: the 12345 hotline (dispatch centre) or a visit / group / meeting
    (grid workers, units)."""
    scope = scope_of(request.user)
    channels = guards.channels_for(request.user)  # the verb's own rule (check_register)
    own_grids = scope.acting_units(Role.GRID_WORKER)
    # A grid worker registers in their own grid: preselected (one grid) and still changeable.
    initial = {"grid": next(iter(own_grids))} if len(own_grids) == 1 else {}
    form = f.IntakeForm(
        request.POST or None, request.FILES or None, channels=channels, initial=initial
    )
    attrs = _attribute_context(request.POST if request.method == "POST" else None, form)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            appeal = actions.register_appeal(
                actor=request.user,
                attributes=attrs.pop("raw"),
                channel=d["channel"],
                subject=d["subject"],
                detail=d["detail"],
                appellant_kind=d["appellant_kind"],
                appellant_name=d["appellant_name"],
                appellant_phone=d["appellant_phone"],
                enterprise_name=d["enterprise_name"],
                address=d["address"],
                grid=d["grid"],
                category=d["category"],
                urgency=d["urgency"],
                attachments=d["attachments"],
            )
        except DomainError as exc:
            form_error(form, exc)
            field = (exc.details or {}).get("field") or ""
            if field.startswith("attributes."):
                attrs["attr_error_code"], attrs["attr_error"] = field[11:], exc.message
        else:
            messages.success(request, _("已登记诉求 %(code)s") % {"code": appeal.code})
            if request.POST.get("then") == "another":
                return redirect(reverse("web:intake"))
            if scope.has_role(Role.DISPATCHER, Role.ADMIN):
                return redirect(reverse("web:dispatch") + f"?tab=new&id={appeal.pk}")
            return redirect(reverse("web:appeal", args=[appeal.pk]))
    status = 400 if request.method == "POST" else 200
    attrs.pop("raw", None)
    return render(request, "web/dispatch/intake.html", {"form": form, **attrs}, status=status)


def _attribute_context(data, form=None) -> dict:
    """The chosen category's extra fields (minhu.categories.fields) and the values typed in
    (`attr_<code>`; several for a multiple choice): `raw` goes to register_appeal."""
    from minhu.categories.fields import fields_for
    from minhu.categories.models import Category, FieldType

    raw_cat = (data or {}).get("category", "") if data is not None else ""
    category = None
    if str(raw_cat).isdigit():
        category = Category.objects.filter(pk=raw_cat, active=True).first()
    fields = fields_for(category)
    values, lists, raw = {}, {}, {}
    for fld in fields:
        name = "attr_" + fld.code
        if fld.datatype == FieldType.MULTI:
            lists[fld.code] = data.getlist(name) if data is not None else []
            raw[fld.code] = lists[fld.code]
        else:
            values[fld.code] = (data.get(name, "") if data is not None else "").strip()
            raw[fld.code] = values[fld.code]
    return {"attr_fields": fields, "attr_values": values, "attr_lists": lists, "raw": raw}


@page_required("intake")
def intake_attributes(request):
    """The extra fields of the category just chosen on the intake form (an htmx fragment)."""
    ctx = _attribute_context(request.GET)
    ctx.pop("raw")
    return render(request, "web/dispatch/_attributes.html", ctx)


@page_required("intake")
def intake_caller(request):
    """The caller's earlier appeals and the repeat-caller flag, as the phone is typed on the
    intake form (an htmx fragment; empty for a partial number or a user who may not match
    phones)."""
    from ..caller import history

    raw = request.GET.get("category", "")
    found = history(
        request.user,
        request.GET.get("appellant_phone", ""),
        category_id=int(raw) if raw.isdigit() else None,
        subject=request.GET.get("subject", "")[:200],
    )
    return render(request, "web/dispatch/_caller.html", {"history": found})


@page_required("dispatch")
def dispatch_lead(request, pk: int):
    """The dispatch catalogue looked up again for the category (and grid) now chosen in the
    dispatch form: a fragment naming the lead and assisting units it gives, which the page's
    script puts into the form, saying that the lead unit changed."""
    from minhu.categories.models import Category

    appeal = visible_appeal_or_404(request.user, pk)
    category = None
    if (raw := request.GET.get("category", "")).isdigit():
        category = (
            Category.objects.select_related("parent__default_lead_unit", "default_lead_unit")
            .filter(pk=int(raw), active=True)
            .first()
        )
    if (grid := request.GET.get("grid", "")).isdigit():
        appeal.grid_id = int(grid)  # where the dispatcher says it is (not saved)
    current = request.GET.get("lead_unit", "")
    current_id = int(current) if current.isdigit() else None
    lead, assists, note = _catalogue_lead(appeal, category)
    returned = bool(
        lead
        and appeal.return_count
        and appeal.assignments.filter(unit=lead, status=AssignmentStatus.RETURNED).exists()
    )
    if returned:
        lead, assists = None, []
    ctx = {
        "category": category,
        "lead": lead,
        "assists": assists,
        "note": note,
        "returned": returned,
        "changed": bool(lead and lead.pk != current_id),
        "previous": Unit.objects.filter(pk=current_id).first() if current_id else None,
    }
    return render(request, "web/dispatch/_lead_hint.html", ctx)


def _catalogue_lead(appeal: Appeal, category) -> tuple:
    """(lead unit, assisting units, where from) for a category at the appeal's place."""
    if category is None:
        return None, [], ""
    from minhu.routing import catalogue
    from minhu.routing.location import locate_appeal

    found = catalogue.lookup(category, locate_appeal(appeal))
    return found.lead_unit, found.assist_units, found.source
