"""Routing pages: the routing admin (models, settings, statistics, learnt catalogue suggestions),
the dispatch catalogue, hotspots with 每月一题, and htmx fragments for the dispatcher's and
handler's pages (proposal, duplicates, links, reply check). Views only parse input and call the
verbs in routing/actions.py."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minhu.appeals.access import CENTRE_ROLES, access_appeal, appeals_visible_to
from minhu.appeals.models import Appeal
from minhu.categories.models import Category
from minhu.core.errors import DomainError, NotFound
from minhu.orgs.models import Unit, UnitKind
from minhu.orgs.scope import scope_of

from . import actions, catalogue, classifier, duplicates, hotspots, proposals, replycheck
from .forms import (
    ConfigForm,
    DispatchRuleForm,
    LinkForm,
    MonthlyProblemForm,
    ReplyCheckForm,
    parse_month,
)
from .models import (
    ClassifierModel,
    DecisionKind,
    DispatchRule,
    MonthlyProblem,
    ProblemStatus,
    RoutingConfig,
    RoutingDecision,
    RoutingEvent,
)

PAGE_SIZE = 25


def centre_required(view):
    """Login, and the dispatch centre or an administrator (403 otherwise)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not scope_of(request.user).has_role(*CENTRE_ROLES):
            raise PermissionDenied(_("您无权访问此页面"))
        return view(request, *args, **kwargs)

    return wrapped


def _visible_appeal(user, pk: int) -> Appeal:
    try:
        return access_appeal(user, pk)
    except NotFound:
        raise Http404


# --- routing admin --------------------------------------------------------------------------


def _stats(days: int = 30) -> dict:
    """Machine decisions of the last `days` days, counted per appeal (in the database)."""
    since = timezone.now() - dt.timedelta(days=days)
    recent = RoutingDecision.objects.filter(created_at__gte=since)

    def appeals(**filters) -> int:
        return recent.filter(**filters).values("appeal_id").distinct().count()

    proposed = appeals(kind=DecisionKind.PROPOSAL)
    auto = appeals(kind=DecisionKind.AUTO)
    corrected = appeals(kind=DecisionKind.CORRECTION)
    judged = appeals(kind__in=[DecisionKind.CONFIRMED, DecisionKind.CORRECTION, DecisionKind.AUTO])
    return {
        "days": days,
        "proposed": proposed,
        "auto": auto,
        "confirmed": judged - corrected,
        "corrected": corrected,
        "returned_after_machine": appeals(
            kind=DecisionKind.CORRECTION, proposal__event_kind="return"
        ),
        "auto_share": round(100 * auto / (proposed + auto)) if proposed + auto else None,
        "precision": round(100 * (judged - corrected) / judged) if judged else None,
    }


def _curve_context(active: ClassifierModel | None, config: RoutingConfig) -> dict | None:
    """The coverage / precision curve of the active model's stored evaluation (None when it has
    none): chart data, the point at the effective threshold and the table by target precision."""
    ev = (active.evaluation or {}) if active is not None else {}
    curve = ev.get("curve") or []
    if not curve:
        return None
    threshold = config.effective_threshold
    at = min(curve, key=lambda p: (abs(p["threshold"] - threshold), p["threshold"]))
    return {
        "method": ev.get("method", ""),
        "n": ev.get("n"),
        "ece": ev.get("ece"),
        "ece_uncalibrated": ev.get("ece_uncalibrated"),
        "at_threshold": at,
        "targets": ev.get("coverage_at_precisions") or [],
        "reliability": [r for r in ev.get("reliability") or [] if r.get("n")],
        "chart": {
            "thresholds": [p["threshold"] for p in curve],
            "coverage": [round(p["coverage"], 4) for p in curve],
            "precision": [round(p["precision"], 4) for p in curve],
            "threshold": threshold,
            "labels": {
                "coverage": _("自动派单比例"),
                "precision": _("自动派单准确率"),
                "threshold": _("置信度阈值"),
                "current": _("当前阈值"),
            },
        },
    }


@centre_required
def routing_admin(request: HttpRequest) -> HttpResponse:
    config = RoutingConfig.get()
    if request.method == "POST" and request.POST.get("form") == "config":
        form = ConfigForm(request.POST)
        if form.is_valid():
            try:
                actions.update_config(actor=request.user, **form.cleaned_data)
                messages.success(request, _("分拨设置已保存"))
                return redirect("routing:admin")
            except DomainError as exc:
                form.add_error(exc.details.get("field"), exc.message)
    else:
        form = ConfigForm(
            initial={
                "auto_dispatch": config.auto_dispatch,
                "threshold": config.threshold,
                "rules_may_auto_dispatch": config.rules_may_auto_dispatch,
                "duplicate_days": config.duplicate_days,
                "duplicate_radius_m": config.duplicate_radius_m,
                "duplicate_min_score": config.duplicate_min_score,
                "hotspot_similarity": config.hotspot_similarity,
                "hotspot_min_size": config.hotspot_min_size,
            }
        )
    models_qs = ClassifierModel.objects.defer("blob").select_related("created_by")
    active = next((m for m in models_qs if m.active), None)
    recent = (
        RoutingDecision.objects.filter(kind=DecisionKind.CORRECTION)
        .select_related("appeal", "category", "lead_unit")
        .order_by("-created_at")[:15]
    )
    load_error = ""
    if active is not None:
        try:
            classifier.active_model(strict=True)
        except classifier.ModelLoadError as exc:
            load_error = str(exc)
    context = {
        "config": config,
        "form": form,
        "curve": _curve_context(active, config),
        "active_model": active,
        "load_error": load_error,
        "models": Paginator(models_qs, 10).get_page(request.GET.get("mpage")),
        "stats": _stats(),
        "suggestions": catalogue.suggestions()[:30],
        "corrections": recent,
        "audit": RoutingEvent.objects.select_related("actor")[:15],
        "rule_count": DispatchRule.objects.filter(active=True).count(),
        "keyword_categories": Category.objects.filter(active=True).exclude(keywords="").count(),
    }
    return render(request, "routing/admin.html", context)


@centre_required
@require_POST
def model_activate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        m = actions.activate_model(pk, actor=request.user)
        messages.success(request, _("已启用模型 v%(v)s") % {"v": m.version})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("routing:admin")


@centre_required
@require_POST
def models_deactivate(request: HttpRequest) -> HttpResponse:
    try:
        actions.deactivate_models(actor=request.user)
        messages.success(request, _("已停用模型，分类建议改用关键词规则"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("routing:admin")


@centre_required
@require_POST
def suggestion_adopt(request: HttpRequest) -> HttpResponse:
    """Adopt a learnt suggestion as a catalogue rule (new, or replacing the differing one)."""
    try:
        category = Category.objects.get(pk=int(request.POST.get("category", "")))
        area_id = int(request.POST.get("area") or 0) or None
        area = Unit.objects.get(pk=area_id) if area_id else None
        lead_id = int(request.POST.get("lead_unit") or 0) or None
        lead = Unit.objects.get(pk=lead_id) if lead_id else None
        rule_id = int(request.POST.get("rule") or 0) or None
    except (ValueError, Category.DoesNotExist, Unit.DoesNotExist):
        messages.error(request, _("建议已失效，请刷新页面"))
        return redirect("routing:admin")
    try:
        rule = rule_id and DispatchRule.objects.filter(pk=rule_id).first()
        assists = list(rule.assist_units.all()) if rule else []
        actions.save_dispatch_rule(
            actor=request.user,
            rule=rule or None,
            category=category,
            area=area,
            lead_unit=lead,
            lead_local=request.POST.get("lead_local", ""),
            assist_units=[u for u in assists if not lead or u.pk != lead.pk],
            note=_("由历史派单学习"),
        )
        messages.success(request, _("已写入派单目录"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("routing:admin")


# --- dispatch catalogue ---------------------------------------------------------------------


@centre_required
def rules(request: HttpRequest) -> HttpResponse:
    qs = DispatchRule.objects.select_related(
        "category__parent", "area", "lead_unit", "updated_by"
    ).prefetch_related("assist_units")
    q = (request.GET.get("q") or "").strip()
    status = request.GET.get("status", "active")
    if q:
        qs = qs.filter(
            Q(category__name__icontains=q)
            | Q(category__parent__name__icontains=q)
            | Q(area__name__icontains=q)
            | Q(lead_unit__name__icontains=q)
            | Q(note__icontains=q)
        )
    if status == "active":
        qs = qs.filter(active=True)
    elif status == "inactive":
        qs = qs.filter(active=False)
    area = request.GET.get("area")
    if area and area.isdigit():
        qs = qs.filter(area_id=int(area))
    qs = qs.order_by("category__sort", "category_id", "area__path", "id")
    context = {
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "q": q,
        "status": status,
        "area": area or "",
        "areas": Unit.objects.filter(
            active=True, kind__in=[UnitKind.STREET, UnitKind.TOWN]
        ).order_by("path"),
    }
    return render(request, "routing/rules.html", context)


@centre_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = None
    if pk is not None:
        rule = DispatchRule.objects.filter(pk=pk).first()
        if rule is None:
            raise Http404
    if request.method == "POST":
        form = DispatchRuleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.save_dispatch_rule(
                    actor=request.user,
                    rule=rule,
                    category=d["category"],
                    area=d["area"],
                    lead_unit=d["lead_unit"],
                    lead_local=d["lead_local"] or "",
                    assist_units=list(d["assist_units"]),
                    note=d["note"],
                )
                messages.success(request, _("派单目录已保存"))
                return redirect("routing:rules")
            except DomainError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, exc.message)
    else:
        initial = {}
        if rule is not None:
            initial = {
                "category": rule.category_id,
                "area": rule.area_id,
                "lead_unit": rule.lead_unit_id,
                "lead_local": rule.lead_local,
                "assist_units": list(rule.assist_units.values_list("pk", flat=True)),
                "note": rule.note,
            }
        else:
            initial = {k: request.GET.get(k) for k in ("category", "area") if request.GET.get(k)}
        form = DispatchRuleForm(initial=initial)
    return render(request, "routing/rule_form.html", {"form": form, "rule": rule})


@centre_required
@require_POST
def rule_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.deactivate_dispatch_rule(pk, actor=request.user)
        messages.success(request, _("规则已停用"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("routing:rules")


# --- hotspots -------------------------------------------------------------------------------


def _scope_key(user) -> str:
    scope = scope_of(user)
    if scope.all_units:
        return "all"
    return f"u{user.pk}:" + ",".join(str(i) for i in sorted(scope.unit_ids))


@login_required
def hotspot_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        month = parse_month(request.GET.get("month") or f"{today:%Y-%m}")
    except Exception:
        month = today.replace(day=1)
        messages.error(request, _("月份格式应为 YYYY-MM"))
    start, end = hotspots.month_bounds(month)
    street_id = request.GET.get("street")
    street_id = int(street_id) if street_id and street_id.isdigit() else None
    base = appeals_visible_to(request.user)
    clusters = hotspots.hotspots(
        base, start=start, end=end, street_id=street_id, scope_key=_scope_key(request.user)
    )
    page = Paginator(clusters, 10).get_page(request.GET.get("page"))
    ids = [i for c in page for i in c.appeal_ids[:15]]
    appeals = Appeal.objects.select_related("street", "category").in_bulk(ids)
    rows = [(c, [appeals[i] for i in c.appeal_ids[:15] if i in appeals]) for c in page]
    scope = scope_of(request.user)
    streets = Unit.objects.filter(active=True, kind__in=[UnitKind.STREET, UnitKind.TOWN])
    if not scope.all_units:
        streets = streets.filter(pk__in=scope.unit_ids)
    problems = MonthlyProblem.objects.filter(month=month).select_related("street", "created_by")
    if not scope.all_units:
        problems = problems.filter(appeals__in=base).distinct()
    prev_month = (month - dt.timedelta(days=1)).replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    context = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "prev_month": f"{prev_month:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}" if next_month <= today.replace(day=1) else "",
        "page": page,
        "rows": rows,
        "streets": streets.order_by("path"),
        "street_id": street_id,
        "can_mark": actions.can_lead(request.user),
        "is_centre": actions.is_centre(request.user),
        "problems": problems,
        "config": RoutingConfig.get(),
        "active_status": ProblemStatus.ACTIVE,
    }
    return render(request, "routing/hotspots.html", context)


@login_required
@require_POST
def problem_mark(request: HttpRequest) -> HttpResponse:
    form = MonthlyProblemForm(request.POST)
    back = request.POST.get("next") or reverse("routing:hotspots")
    if not back.startswith("/"):
        back = reverse("routing:hotspots")
    if not form.is_valid():
        for errs in form.errors.values():
            messages.error(request, errs[0])
        return redirect(back)
    d = form.cleaned_data
    street = (
        Unit.objects.filter(pk=d["street"], kind__in=[UnitKind.STREET, UnitKind.TOWN]).first()
        if d.get("street")
        else None
    )
    try:
        actions.mark_problem_of_month(
            actor=request.user,
            month=d["month"],
            title=d["title"],
            summary=d["summary"],
            appeal_ids=d["appeal_ids"],
            street=street,
            terms=[t for t in (d.get("terms") or "").split(",") if t],
            support=d.get("support") or 0,
        )
        messages.success(request, _("已设为每月一题：%(t)s") % {"t": d["title"]})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@login_required
@require_POST
def problem_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.cancel_problem_of_month(
            pk, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("已撤销该每月一题"))
    except DomainError as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next") or reverse("routing:hotspots")
    return redirect(back if back.startswith("/") else reverse("routing:hotspots"))


# --- fragments for the dispatcher's and handler's pages -------------------------------------


@login_required
def proposal_fragment(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """Top-3 categories, location, lead unit and duplicates of an appeal (htmx)."""
    appeal = _visible_appeal(request.user, appeal_id)
    proposal = proposals.proposal_for(appeal)
    dups = duplicates.candidates(appeal, limit=5, user=request.user)
    context = {
        "appeal": appeal,
        "proposal": proposal,
        "duplicates": dups,
        "links": actions.linked_appeals(appeal, request.user),
        "can_link": scope_of(request.user).has_role(*CENTRE_ROLES),
        "link_form": LinkForm(),
    }
    return render(request, "routing/_proposal.html", context)


@login_required
@require_POST
def link(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = _visible_appeal(request.user, appeal_id)
    form = LinkForm(request.POST)
    error = ""
    if form.is_valid():
        other_ref = form.cleaned_data["other"].strip()
        other = (
            appeals_visible_to(request.user)
            .filter(Q(code=other_ref.upper()) | Q(pk=int(other_ref) if other_ref.isdigit() else 0))
            .first()
        )
        if other is None:
            error = _("未找到该诉求")
        else:
            try:
                actions.link_appeals(
                    appeal, actor=request.user, other=other, note=form.cleaned_data["note"]
                )
            except DomainError as exc:
                error = exc.message
    else:
        error = _("请填写要关联的诉求查询码")
    if request.headers.get("HX-Request"):
        response = proposal_fragment(request, appeal_id)
        if error:
            response.content = (
                f'<div class="flash flash-error" role="alert">{error}</div>'.encode()
                + response.content
            )
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已关联"))
    back = request.POST.get("next") or "/"
    return redirect(back if back.startswith("/") else "/")


@login_required
@require_http_methods(["GET", "POST"])
def reply_check(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """The reply check of a draft answer (htmx: hx-post the textarea named "text")."""
    appeal = _visible_appeal(request.user, appeal_id)
    form = ReplyCheckForm(request.POST if request.method == "POST" else request.GET)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    result = replycheck.check_reply(appeal, text) if text.strip() else None
    return render(
        request, "routing/_reply_check.html", {"appeal": appeal, "result": result, "text": text}
    )
