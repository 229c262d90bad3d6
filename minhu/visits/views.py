"""Visit pages: the visitor's own list and the phone-size visit form (works offline through
static/visits/offline.js), the door QR link, coverage and ledgers (pages and xlsx)."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from minhu.core.errors import DomainError, InvalidInput, NotFound
from minhu.core.xlsx import Workbook
from minhu.registry.personal import mask_name, mask_phone
from minhu.residents import qr

from . import access, actions, coverage
from .models import (
    Assignment,
    AssignmentState,
    CampaignStatus,
    Outcome,
    ProblemDomain,
    SatisfactionDomain,
    Visit,
    VisitProblem,
)


def service_worker(request: HttpRequest) -> HttpResponse:
    """static/visits/sw.js served under /visits/ so that its scope covers the visit pages."""
    from django.contrib.staticfiles import finders

    path = finders.find("visits/sw.js")
    with open(path, "rb") as f:
        resp = HttpResponse(f.read(), content_type="text/javascript; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    return resp


def _campaign_or_404(user, pk: int, manage: bool = False):
    try:
        return access.access_campaign(user, pk, manage=manage)
    except NotFound:
        raise Http404(_("走访活动不存在"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    campaigns = list(
        access.campaigns_visible_to(request.user)
        .select_related("owner_unit")
        .order_by("-starts_on", "-id")[:50]
    )
    managed = set(access.managed_campaigns(request.user).values_list("pk", flat=True))
    mine = dict(
        Assignment.objects.filter(campaign__in=campaigns, visitor=request.user)
        .values_list("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
        .order_by()
    )
    for c in campaigns:
        c.is_managed = c.pk in managed
        c.mine = mine.get(c.pk, 0)
    may_create = _owner_units(request.user).exists()
    return render(request, "visits/home.html", {"campaigns": campaigns, "may_create": may_create})


@login_required
def mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The visitor's own households: not-home ones come back first, then those still to visit."""
    campaign = _campaign_or_404(request.user, pk)
    qs = access.my_assignments(request.user, campaign).select_related("household")
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.exclude(state=AssignmentState.DONE)
    elif state in AssignmentState.values:
        qs = qs.filter(state=state)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(Q(household__address__icontains=q) | Q(household__head_name__icontains=q))
    # again (需再访) before todo before done, then by address
    qs = qs.order_by("-state", "household__address")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    for a in page:
        a.head = mask_name(a.household.head_name)
    counts = dict(
        access.my_assignments(request.user, campaign)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
        .order_by()
    )
    return render(
        request,
        "visits/mine.html",
        {"campaign": campaign, "page": page, "q": q, "state": state, "counts": counts},
    )


def _problems_from_post(request) -> list[actions.ProblemInput]:
    out = []
    for i in range(actions.MAX_PROBLEMS):
        text = (request.POST.get(f"p{i}_text") or "").strip()
        if not text:
            continue
        out.append(
            actions.ProblemInput(
                domain=request.POST.get(f"p{i}_domain") or "",
                text=text,
                on_spot=request.POST.get(f"p{i}_on_spot") == "1",
                solution=request.POST.get(f"p{i}_solution") or "",
                photos=request.FILES.getlist(f"p{i}_photos"),
            )
        )
    return out


@login_required
@require_http_methods(["GET", "POST"])
def visit_form(request: HttpRequest, pk: int, household_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request.user, pk)
    try:
        asg = access.access_assignment(request.user, campaign, household_id)
    except NotFound:
        raise Http404(_("该住户不在本次走访范围内"))
    wants_json = "application/json" in request.headers.get("Accept", "")
    error = None
    if request.method == "POST":
        visited_at = parse_datetime(request.POST.get("visited_at") or "") or None
        if visited_at is not None and timezone.is_naive(visited_at):
            visited_at = timezone.make_aware(visited_at)
        try:
            result = actions.record_visit(
                actor=request.user,
                client_id=request.POST.get("client_id") or "",
                campaign=campaign.pk,
                household_id=asg.household_id,
                outcome=request.POST.get("outcome") or "",
                answers={
                    q: request.POST.get(f"q{i}", "") for i, q in enumerate(campaign.questions)
                },
                leaflets=request.POST.get("leaflets") or 0,
                benefits=request.POST.getlist("benefits"),
                note=request.POST.get("note") or "",
                visited_at=visited_at,
                problems=_problems_from_post(request),
            )
        except DomainError as exc:
            if wants_json:
                return JsonResponse(
                    {"error": {"code": exc.code, "message": str(exc.message)}},
                    status=exc.http_status,
                )
            error = exc.message
        else:
            if wants_json:
                return JsonResponse(
                    {"visit": result.visit.pk, "created": result.created},
                    status=201 if result.created else 200,
                )
            return redirect(reverse("visits:mine", args=[campaign.pk]) + f"?done={result.visit.pk}")
    history = (
        Visit.objects.filter(campaign=campaign, household_id=asg.household_id)
        .select_related("visitor")
        .prefetch_related("problems__appeal", "problems__domain")
        .order_by("-visited_at")
    )
    household = asg.household
    return render(
        request,
        "visits/form.html",
        {
            "campaign": campaign,
            "asg": asg,
            "household": household,
            "head": mask_name(household.head_name),
            "phone": mask_phone(household.phone),
            "outcomes": Outcome.choices,
            "domains": ProblemDomain.objects.filter(active=True),
            "questions": list(enumerate(campaign.questions)),
            "history": history,
            "error": error,
            "slots": range(3),
            "active": _may_record(request.user, campaign, asg),
        },
        status=400 if error else 200,
    )


def _may_record(user, campaign, asg) -> bool:
    try:
        actions.check_record(user, campaign, asg)
    except DomainError:
        return False
    return True


@login_required
def door(request: HttpRequest, household_id: int) -> HttpResponse:
    """What a household's door QR opens: the visit form of the active campaign the signed-in
    visitor has it in."""
    asg = (
        Assignment.objects.filter(household_id=household_id, campaign__status=CampaignStatus.ACTIVE)
        .filter(
            Q(visitor=request.user)
            | Q(grid__in=Assignment.objects.filter(visitor=request.user).values("grid"))
        )
        .order_by("-campaign__starts_on")
        .first()
    )
    if asg is None:
        raise Http404(_("该住户不在您的走访范围内"))
    return redirect("visits:form", asg.campaign_id, household_id)


@login_required
def door_qr(request: HttpRequest, household_id: int) -> HttpResponse:
    """The door QR (SVG) of a household, for the managers of a campaign it is in."""
    managed = access.managed_campaigns(request.user).values("pk")
    if not Assignment.objects.filter(household_id=household_id, campaign__in=managed).exists():
        raise Http404(_("未找到该住户"))
    url = qr.absolute(request, reverse("visits:door", args=[household_id]))
    return HttpResponse(qr.svg(url), content_type="image/svg+xml")


LEVEL_LABELS = [
    ("street", "镇街"),
    ("community", "社区村"),
    ("grid", "网格"),
    ("unit", "单位"),
    ("visitor", "走访人"),
]


@login_required
def coverage_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request.user, pk, manage=True)
    level = request.GET.get("level", "street")
    if level not in dict(LEVEL_LABELS):
        level = "street"
    if request.GET.get("format") == "xlsx":
        return _coverage_xlsx(campaign)
    from minhu.orgs.models import Unit

    within_id = request.GET.get("within") or ""
    within = Unit.objects.filter(pk=int(within_id)).first() if within_id.isdigit() else None
    rows, total = coverage.coverage(campaign, level, within=within)
    drill = {"street": "community", "community": "grid"}.get(level)
    return render(
        request,
        "visits/coverage.html",
        {
            "campaign": campaign,
            "rows": rows,
            "total": total,
            "level": level,
            "levels": LEVEL_LABELS,
            "within": within,
            "drill": drill,
        },
    )


COVERAGE_HEADERS = [
    "名称",
    "应走访户数",
    "已走访户数",
    "入户率(%)",
    "未走访户数",
    "需再访户数",
    "收集问题",
    "当场解决",
    "协调解决中",
    "已办结",
]


def _coverage_cells(r) -> list:
    return [
        r.name,
        r.households,
        r.reached,
        r.rate,
        r.todo,
        r.again,
        r.problems,
        r.on_spot,
        r.coordinating,
        r.closed,
    ]


def _xlsx_response(wb: Workbook, name: str) -> HttpResponse:
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return resp


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _coverage_xlsx(campaign) -> HttpResponse:
    wb = Workbook()
    for level, label in LEVEL_LABELS:
        sheet = wb.sheet(f"按{label}")
        sheet.append(COVERAGE_HEADERS, bold=True)
        rows, total = coverage.coverage(campaign, level)
        for r in rows:
            sheet.append(_coverage_cells(r))
        sheet.append(_coverage_cells(total), bold=True)
    return _xlsx_response(wb, f"{campaign.name}-入户率.xlsx")


PROBLEM_HEADERS = [
    "日期",
    "镇街",
    "网格",
    "住户地址",
    "户主",
    "走访人",
    "问题领域",
    "满意度领域",
    "牵头部门",
    "问题描述",
    "处理方式",
    "现场解决情况",
    "工单编号",
    "工单状态",
]
VISIT_HEADERS = [
    "走访时间",
    "网格",
    "住户地址",
    "户主",
    "走访人",
    "走访结果",
    "宣传彩页",
    "问题数",
    "重复走访",
]


@login_required
def ledger(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """入户走访台账: `visits` (daily visit ledger) or `problems` (入户走访问题台账); filtered by
    day, domain (a lead department's ledger), unit, or `mine` (the visitor's personal one)."""
    if kind not in ("visits", "problems"):
        raise Http404()
    mine_only = request.GET.get("mine") == "1"
    campaign = _campaign_or_404(request.user, pk, manage=not mine_only)
    day = request.GET.get("day") or ""
    try:
        day_date = dt.date.fromisoformat(day) if day else None
    except ValueError:
        day_date = None
    sat = request.GET.get("domain") or ""
    unit = request.GET.get("unit") or ""
    if kind == "visits":
        qs = Visit.objects.filter(campaign=campaign).select_related("grid", "household", "visitor")
        base = "visitor"
        unit_field = "assignment__unit_id"
        date_field = "visited_at"
    else:
        qs = VisitProblem.objects.filter(campaign=campaign).select_related(
            "grid__parent__parent",
            "visit__household",
            "visit__visitor",
            "domain__satisfaction__lead_unit",
            "appeal",
        )
        base = "visit__visitor"
        unit_field = "visit__assignment__unit_id"
        date_field = "visit__visited_at"
        if sat.isdigit():
            qs = qs.filter(domain__satisfaction_id=int(sat))
    if mine_only:
        qs = qs.filter(**{base: request.user})
    if unit.isdigit():
        qs = qs.filter(**{unit_field: int(unit)})
    if day_date:
        start = timezone.make_aware(dt.datetime.combine(day_date, dt.time()))
        qs = qs.filter(
            **{f"{date_field}__gte": start, f"{date_field}__lt": start + dt.timedelta(days=1)}
        )
    qs = qs.order_by(f"-{date_field}", "-id")
    if request.GET.get("format") == "xlsx":
        wb = Workbook()
        sheet = wb.sheet("入户走访问题台账" if kind == "problems" else "每日走访台账")
        sheet.append(PROBLEM_HEADERS if kind == "problems" else VISIT_HEADERS, bold=True)
        if kind == "visits":
            counts = _problem_counts(campaign)
            for row in qs.iterator(chunk_size=2000):
                row.n_problems = counts.get(row.pk, 0)
                sheet.append(_visit_cells(row))
        else:
            for row in qs:
                sheet.append(_problem_cells(row))
        title = "入户走访问题台账" if kind == "problems" else "每日走访台账"
        return _xlsx_response(wb, f"{campaign.name}-{title}{day or ''}.xlsx")
    headers = PROBLEM_HEADERS if kind == "problems" else VISIT_HEADERS
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    if kind == "visits":
        counts = _problem_counts(campaign, [v.pk for v in page])
        for v in page:
            v.n_problems = counts.get(v.pk, 0)
    return render(
        request,
        "visits/ledger.html",
        {
            "campaign": campaign,
            "kind": kind,
            "page": page,
            "rows": [
                list(
                    zip(
                        headers,
                        _problem_cells(r) if kind == "problems" else _visit_cells(r),
                        strict=True,
                    )
                )
                for r in page
            ],
            "headers": headers,
            "day": day,
            "domain": sat,
            "mine": mine_only,
            "domains": SatisfactionDomain.objects.select_related("lead_unit"),
        },
    )


def _problem_counts(campaign, visit_ids=None) -> dict[int, int]:
    """Problems per visit (one grouped query; the ledger's count stays a plain COUNT)."""
    qs = VisitProblem.objects.filter(campaign=campaign)
    if visit_ids is not None:
        qs = qs.filter(visit_id__in=visit_ids)
    return dict(
        qs.values_list("visit_id").annotate(n=Count("id")).values_list("visit_id", "n").order_by()
    )


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _street_name(grid) -> str:
    up = grid.parent.parent if grid.parent_id and grid.parent.parent_id else None
    return up.name if up else ""


def _problem_cells(p) -> list:
    sat = p.domain.satisfaction
    return [
        _local(p.visit.visited_at),
        _street_name(p.grid),
        p.grid.name,
        p.visit.household.address,
        mask_name(p.visit.household.head_name),
        p.visit.visitor.display_name or p.visit.visitor.username,
        p.domain.name,
        sat.name if sat else "",
        sat.lead_unit.name if sat and sat.lead_unit else "",
        p.text,
        p.get_resolution_display(),
        p.solution,
        str(p.appeal_id or ""),
        p.appeal.get_status_display() if p.appeal else "",
    ]


def _visit_cells(v) -> list:
    return [
        _local(v.visited_at),
        v.grid.name,
        v.household.address,
        mask_name(v.household.head_name),
        v.visitor.display_name or v.visitor.username,
        v.get_outcome_display(),
        v.leaflets,
        v.n_problems,
        "是" if v.conflict else "",
    ]


# --- managing a campaign ---------------------------------------------------------------------


def _owner_units(user):
    from minhu.orgs.models import Role, Unit, UnitKind
    from minhu.orgs.scope import scope_of

    scope = scope_of(user)
    kinds = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.TOWN)
    if scope.has_role(Role.ADMIN) and scope.all_units:
        return Unit.objects.filter(active=True, kind__in=kinds)
    return Unit.objects.filter(
        active=True,
        kind__in=kinds,
        pk__in=scope.acting_units(Role.UNIT_LEADER, Role.HANDLER),
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    from .forms import CampaignForm
    from .models import DEFAULT_BENEFITS, DEFAULT_QUESTIONS, DEFAULT_STEPS

    owners = _owner_units(request.user)
    if not owners.exists():
        raise Http404(_("您无权发起走访活动"))
    if request.method == "POST":
        form = CampaignForm(request.POST, owner_units=owners)
        if form.is_valid():
            try:
                campaign = actions.create_campaign(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    owner_unit=form.cleaned_data["owner_unit"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    grids=form.grids(),
                    units=form.cleaned_data["units"],
                    tiers=form.cleaned_data["tiers"],
                    **form.script(),
                )
            except DomainError as exc:
                from minhu.web.views.common import form_error

                form_error(form, exc)
            else:
                return redirect("visits:manage", campaign.pk)
    else:
        today = timezone.localdate()
        form = CampaignForm(
            owner_units=owners,
            initial={
                "starts_on": today,
                "ends_on": today + dt.timedelta(days=30),
                "steps": "\n".join(DEFAULT_STEPS),
                "questions": "\n".join(DEFAULT_QUESTIONS),
                "benefits": "\n".join(DEFAULT_BENEFITS),
            },
        )
    return render(request, "visits/campaign_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    """分户: run the assignment, see households without a visitor, move households."""
    from django.contrib import messages
    from django.contrib.auth import get_user_model

    from minhu.registry.models import Household

    campaign = _campaign_or_404(request.user, pk, manage=True)
    may_edit = True
    try:
        actions.check_manage(request.user, campaign)
    except DomainError:
        may_edit = False
    if request.method == "POST":
        if not may_edit:
            raise Http404()
        try:
            op = request.POST.get("op")
            if op == "assign":
                res = actions.assign_households(campaign, actor=request.user)
                messages.success(
                    request,
                    _("已分户 %(n)d 户，%(u)d 户没有联户干部")
                    % {"n": res.assigned, "u": len(res.unlinked)},
                )
            elif op == "move":
                visitor = (
                    get_user_model()
                    .objects.filter(
                        username=(request.POST.get("visitor") or "").strip(), is_active=True
                    )
                    .first()
                )
                if visitor is None:
                    raise InvalidInput(_("找不到该走访人账号"), code="invalid_visitor")
                ids = [int(x) for x in request.POST.getlist("household") if x.isdigit()]
                if not ids:
                    raise InvalidInput(_("请勾选住户"), code="required")
                n = actions.move_assignment(
                    campaign, actor=request.user, household_ids=ids, visitor=visitor
                )
                messages.success(request, _("已调整 %(n)d 户") % {"n": n})
            elif op in ("close", "activate"):
                actions.set_campaign_status(
                    campaign,
                    actor=request.user,
                    status=CampaignStatus.CLOSED if op == "close" else CampaignStatus.ACTIVE,
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    grid_ids = campaign.grids.values("pk")
    q = (request.GET.get("q") or "").strip()[:50]
    show = request.GET.get("show", "unassigned")
    if show == "unassigned":
        hh = Household.objects.filter(grid_id__in=grid_ids, active=True).exclude(
            pk__in=Assignment.objects.filter(campaign=campaign).values("household_id")
        )
    else:
        hh = Household.objects.filter(
            pk__in=Assignment.objects.filter(campaign=campaign).values("household_id")
        )
    if q:
        hh = hh.filter(Q(address__icontains=q) | Q(head_name__icontains=q))
    page = Paginator(hh.select_related("grid").order_by("grid_id", "address"), 50).get_page(
        request.GET.get("page")
    )
    owners = {
        a.household_id: a
        for a in Assignment.objects.filter(
            campaign=campaign, household__in=list(page)
        ).select_related("visitor")
    }
    for h in page:
        h.asg = owners.get(h.pk)
        h.head = mask_name(h.head_name)
    counts = Assignment.objects.filter(campaign=campaign).aggregate(
        n=Count("id"), visitors=Count("visitor", distinct=True)
    )
    return render(
        request,
        "visits/manage.html",
        {
            "campaign": campaign,
            "page": page,
            "q": q,
            "show": show,
            "counts": counts,
            "may_edit": may_edit,
            "grid_count": campaign.grids.count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def domains(request: HttpRequest) -> HttpResponse:
    """问题领域与满意度领域: names, which satisfaction domain a problem domain counts in, and
    the lead department of each satisfaction domain (it keeps that domain's ledger)."""
    from django.contrib import messages

    from minhu.orgs.models import Role, Unit, UnitKind
    from minhu.orgs.scope import scope_of

    scope = scope_of(request.user)
    if not (scope.has_role(Role.ADMIN) and scope.all_units):
        raise Http404()
    sats = list(SatisfactionDomain.objects.select_related("lead_unit"))
    probs = list(ProblemDomain.objects.select_related("satisfaction"))
    depts = list(Unit.objects.filter(active=True, kind=UnitKind.DEPARTMENT).order_by("path"))
    if request.method == "POST":
        try:
            from django.db import transaction

            with transaction.atomic():
                by_id = {u.pk: u for u in depts}
                sat_by_id = {s.pk: s for s in sats}
                for s in sats:
                    lead = request.POST.get(f"sat{s.pk}_lead") or ""
                    actions.update_domain(
                        s,
                        actor=request.user,
                        name=request.POST.get(f"sat{s.pk}_name", s.name),
                        lead_unit=by_id.get(int(lead)) if lead.isdigit() else None,
                    )
                for p in probs:
                    sat = request.POST.get(f"p{p.pk}_sat") or ""
                    actions.update_domain(
                        p,
                        actor=request.user,
                        name=request.POST.get(f"p{p.pk}_name", p.name),
                        satisfaction=sat_by_id.get(int(sat)) if sat.isdigit() else None,
                        active=request.POST.get(f"p{p.pk}_active") == "1",
                    )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("领域设置已保存"))
        return redirect("visits:domains")
    return render(request, "visits/domains.html", {"sats": sats, "probs": probs, "depts": depts})
