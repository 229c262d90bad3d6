"""Follow-up (回访) queue for callback operators, and closing (销号) for the centre."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from minhu.appeals.access import CENTRE_ROLES, appeals_visible_to
from minhu.appeals.actions import MAX_UNREACHED, follow_up_refusal
from minhu.appeals.models import Appeal, FollowUp, Status
from minhu.orgs.scope import scope_of

from .. import forms as f
from ..filters import CLOSED_FILTERS, AppealFilterForm, paginate, sorted_by
from ..permissions import may_close, page_required
from .common import is_htmx, visible_appeal_or_404

TABS = [
    ("pending", gettext_lazy("待回访")),
    ("close", gettext_lazy("待销号")),
]


def _annotated(qs):
    """Per row: answered in this round (reached once) and calls not reached. A replied appeal
    counts its own appellant's answers; a merged appeal its appellant's (their follow-ups sit
    on the parent, `rated_appeal` = the merged appeal, in the parent's round)."""
    own = FollowUp.objects.filter(
        appeal=OuterRef("pk"), rated_appeal=None, round=OuterRef("reopen_count")
    )
    theirs = FollowUp.objects.filter(
        rated_appeal=OuterRef("pk"), round=OuterRef("parent__reopen_count")
    )

    def unreached(q):
        return Coalesce(
            Subquery(
                q.filter(reached=False)
                .order_by()
                .values("round")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            0,
        )

    return qs.annotate(
        answered=Exists(own.filter(reached=True)) | Exists(theirs.filter(reached=True)),
        unreached=unreached(own) + unreached(theirs),
    )


def _tab_qs(user, tab: str):
    """待回访: replied appeals and the merged appeals of replied ones (each appellant is called);
    待销号: replied appeals whose appellant answered (merged ones close with their parent)."""
    closable = Q(answered=True) | Q(unreached__gte=MAX_UNREACHED)
    visible = appeals_visible_to(user)
    if tab == "close":
        return _annotated(visible.filter(status=Status.REPLIED)).filter(closable)
    waiting = Q(status=Status.REPLIED) | Q(
        status=Status.MERGED, parent__status=Status.REPLIED, replied_at__isnull=False
    )
    qs = _annotated(visible.filter(waiting)).exclude(closable)
    # a merged appellant without a phone cannot be called
    return qs.exclude(status=Status.MERGED, appellant_phone="")


def queue_queryset(user, tab: str, params):
    """One tab of the follow-up queue for `params`: (filter form, rows). The page and its xlsx
    export both read it."""
    filters = AppealFilterForm(params or None, user=user, hide=("status", "due", *CLOSED_FILTERS))
    qs = filters.apply(_tab_qs(user, tab)).select_related("category__parent", "lead_unit", "street")
    qs, _sort = sorted_by(qs, params.get("sort"), ("replied_at", "id"))
    return filters, qs


def panel_context(request, appeal: Appeal, *, form=None, close_form=None, flash=None) -> dict:
    appeal = Appeal.objects.select_related("category__parent", "lead_unit", "street").get(
        pk=appeal.pk
    )
    if appeal.status == Status.MERGED and appeal.parent_id:
        # A merged appellant's answers sit on the parent, in the parent's round.
        follow_ups = list(
            FollowUp.objects.filter(rated_appeal=appeal)
            .select_related("actor")
            .order_by("-created_at")
        )
        round_ = Appeal.objects.filter(pk=appeal.parent_id).values_list("reopen_count", flat=True)
        current = [fu for fu in follow_ups if fu.round == round_[0]]
    else:
        follow_ups = list(appeal.follow_ups.select_related("actor").order_by("-created_at"))
        current = [
            fu
            for fu in follow_ups
            if fu.round == appeal.reopen_count and fu.rated_appeal_id is None
        ]
    scope = scope_of(request.user)
    return {
        "appeal": appeal,
        "follow_ups": follow_ups,
        "unreached": sum(1 for fu in current if not fu.reached),
        "form": form or f.FollowUpForm(),
        "close_form": close_form or f.CloseForm(),
        "can_follow_up": follow_up_refusal(appeal) is None,
        "can_close": appeal.status == Status.REPLIED
        and scope.has_role(*CENTRE_ROLES)
        and may_close(appeal, follow_ups),
        "flash": flash,
        "tab": request.GET.get("tab") or request.POST.get("_tab") or "pending",
    }


@page_required("follow_up")
def follow_up_queue(request):
    tab = request.GET.get("tab", "pending")
    if tab not in dict(TABS):
        tab = "pending"
    counts = {k: _tab_qs(request.user, k).count() for k, _l in TABS}
    filters, qs = queue_queryset(request.user, tab, request.GET)
    page = paginate(request, qs)
    ctx = {
        "tab": tab,
        "tabs": [(k, label, counts[k]) for k, label in TABS],
        "page": page,
        "filters": filters,
        "tab_keep": [("tab", tab)],
        "bulk_close": tab == "close" and scope_of(request.user).has_role(*CENTRE_ROLES),
    }
    wanted = request.GET.get("id")
    selected = None
    if wanted and wanted.isdigit():
        selected = appeals_visible_to(request.user).filter(pk=int(wanted)).first()
    elif page.object_list:
        selected = page.object_list[0]
    if selected is not None:
        ctx["panel"] = panel_context(request, selected)
        ctx["selected_id"] = selected.pk
    return render(request, "web/followup/queue.html", ctx)


@page_required("follow_up")
def follow_up_panel(request, pk: int):
    appeal = visible_appeal_or_404(request.user, pk)
    return render(request, "web/followup/_panel.html", panel_context(request, appeal))


def panel_response(request, appeal, name, ok, message, form):
    if not is_htmx(request):
        (messages.success if ok else messages.error)(request, message or gettext_lazy("操作失败"))
        return redirect(reverse("web:follow_up") + f"?id={appeal.pk}")
    appeal.refresh_from_db()
    kwargs = {}
    if not ok:
        kwargs = {"close_form": form} if name == "close" else {"form": form}
    ctx = panel_context(request, appeal, flash=("success" if ok else "error", message), **kwargs)
    if ok:
        ctx["counts"] = {k: _tab_qs(request.user, k).count() for k, _l in TABS}
        tab = request.POST.get("_tab", "pending")
        tab = tab if tab in dict(TABS) else "pending"
        ctx["row_gone"] = not _tab_qs(request.user, tab).filter(pk=appeal.pk).exists()
    return render(request, "web/followup/_panel.html", ctx)
