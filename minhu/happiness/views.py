"""Staff pages (/happy/): the published list with withdrawal, solved items waiting to be
published, publishing one in public words; the 领办 projects with milestones, linked appeals and
finishing. Public pages (/h5/happy/): the streets, a street's or community's 幸福清单 with its
微实事 count and projects, one project's progress. The public pages read only public fields."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minhu.appeals.access import access_appeal
from minhu.appeals.models import Appeal
from minhu.core.errors import DomainError, InvalidInput
from minhu.orgs.models import Unit, UnitKind
from minhu.web.permissions import scoped_page

from . import access, actions
from .models import LeaderKind, Project

_staff = scoped_page(access.may_read)


def _ctx(request, tab: str, **kw):
    return {"tab": tab, "can_create": actions.may_create_project(request.user), **kw}


@_staff
def listings_view(request):
    qs = access.listings_visible_to(request.user).select_related("appeal", "street", "community")
    state = request.GET.get("state") or "public"
    qs = qs.filter(withdrawn_at__isnull=state == "public")
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(appeal__code__iexact=q))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "happiness/listings.html",
        _ctx(request, "listings", page=page, q=q, state=state),
    )


@_staff
def candidates_view(request):
    qs = access.candidates_for(request.user).select_related("street", "grid", "category")
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(code__iexact=q))
    page = Paginator(qs.order_by("-resolved_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "happiness/candidates.html", _ctx(request, "candidates", page=page, q=q))


@_staff
@require_http_methods(["GET", "POST"])
def publish_view(request, pk):
    appeal = access_appeal(request.user, pk)
    error = None
    try:
        actions.check_publish(request.user, appeal)
    except DomainError as exc:
        error = exc
    if request.method == "POST" and error is None:
        try:
            actions.publish(
                appeal,
                actor=request.user,
                title=request.POST.get("title", ""),
                result=request.POST.get("result", ""),
                micro=request.POST.get("micro") == "1",
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已列入幸福清单"))
            return redirect("happiness:candidates")
    values = (
        request.POST
        if request.method == "POST"
        else {"title": appeal.subject[:100], "result": (appeal.reply or appeal.outcome)[:1000]}
    )
    return render(
        request,
        "happiness/publish.html",
        _ctx(request, "candidates", a=appeal, error=error, values=values),
        status=400 if error and request.method == "POST" else 200,
    )


@_staff
@require_POST
def withdraw_view(request, pk):
    listing = get_object_or_404(access.listings_visible_to(request.user), pk=pk)
    try:
        actions.withdraw(listing, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤下"))
    return redirect("happiness:listings")


def _date(raw: str, field: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("日期格式不正确"), code="invalid_date", field=field)


def _lead_units():
    return Unit.objects.filter(
        active=True,
        kind__in=(UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY),
    ).order_by("path")


def _areas():
    return Unit.objects.filter(
        active=True,
        kind__in=(UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE),
    ).order_by("path")


def _pick(qs, raw):
    raw = raw or ""
    return qs.filter(pk=int(raw)).first() if raw.isdigit() else None


@_staff
@require_http_methods(["GET", "POST"])
def projects_view(request):
    error = None
    if request.method == "POST":
        if not actions.may_create_project(request.user):
            raise Http404()
        P = request.POST
        try:
            lead = _pick(_lead_units(), P.get("lead_unit"))
            area = _pick(_areas(), P.get("area"))
            rows = []
            for line in (P.get("milestones") or "").splitlines():
                title, _sep, due = line.partition("|")
                rows.append((title, _date(due, "milestones")))
            p = actions.create_project(
                actor=request.user,
                title=P.get("title", ""),
                description=P.get("description", ""),
                leader_kind=P.get("leader_kind", ""),
                leader=P.get("leader", ""),
                lead_unit=lead,
                responsible=P.get("responsible", ""),
                area=area,
                due_on=_date(P.get("due_on", ""), "due_on"),
                milestones=rows,
                public=P.get("public") == "1",
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request, _("已登记领办项目，工单 %(code)s 已派给承办单位") % {"code": p.appeal.code}
            )
            return redirect("happiness:project", p.pk)
    qs = access.projects_visible_to(request.user).select_related("lead_unit", "area", "appeal")
    qs = qs.annotate(
        n_milestones=Count("milestones", distinct=True),
        n_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
    )
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(leader__icontains=q))
    page = Paginator(qs.order_by("-id"), 30).get_page(request.GET.get("page"))
    for p in page:
        p.state = access.project_state(p)
    return render(
        request,
        "happiness/projects.html",
        _ctx(
            request,
            "projects",
            page=page,
            q=q,
            error=error,
            values=request.POST if error else {},
            leader_kinds=LeaderKind.choices,
            lead_units=_lead_units() if actions.may_create_project(request.user) else [],
            areas=_areas() if actions.may_create_project(request.user) else [],
        ),
        status=400 if error else 200,
    )


@_staff
@require_http_methods(["GET", "POST"])
def project_view(request, pk):
    try:
        project = (
            access.projects_visible_to(request.user)
            .select_related("lead_unit", "area", "appeal")
            .get(pk=pk)
        )
    except Project.DoesNotExist:
        raise Http404()
    error = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "milestone":
                actions.complete_milestone(
                    int(request.POST.get("milestone") or 0),
                    actor=request.user,
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("节点已完成"))
            elif op == "finish":
                actions.finish_project(
                    project, actor=request.user, result=request.POST.get("result", "")
                )
                messages.success(request, _("项目已完成"))
            elif op == "link":
                code = (request.POST.get("code") or "").strip().upper()
                target = Appeal.objects.filter(code=code).values_list("pk", flat=True).first()
                actions.link_appeal(project, target or 0, actor=request.user)
                messages.success(request, _("已关联诉求 %(code)s") % {"code": code})
            elif op == "unlink":
                actions.unlink_appeal(
                    project, int(request.POST.get("appeal") or 0), actor=request.user
                )
                messages.success(request, _("已取消关联"))
            else:
                raise Http404()
        except DomainError as exc:
            error = exc
        else:
            return redirect("happiness:project", project.pk)
    milestones = list(project.milestones.all())
    links = list(project.links.select_related("appeal").order_by("-id"))
    return render(
        request,
        "happiness/project.html",
        _ctx(
            request,
            "projects",
            p=project,
            state=access.project_state(project),
            milestones=milestones,
            done=sum(1 for m in milestones if m.done_on),
            links=links,
            can_lead=_may_lead(request.user, project),
            error=error,
        ),
        status=400 if error else 200,
    )


def _may_lead(user, project) -> bool:
    try:
        actions._require_lead(user, project)
    except DomainError:
        return False
    return True


# --- public ---------------------------------------------------------------------------------


def public_index(request):
    return render(
        request,
        "happiness/public_index.html",
        {"units": access.public_units(), "projects": access.public_projects()[:20]},
    )


def _public_unit(code: str) -> Unit:
    unit = Unit.objects.filter(
        code=code,
        active=True,
        kind__in=(UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE),
    ).first()
    if unit is None:
        raise Http404()
    return unit


def public_unit(request, code):
    unit = _public_unit(code)
    listings = access.public_listings(unit)
    page = Paginator(listings, 20).get_page(request.GET.get("page"))
    counts = listings.aggregate(n=Count("pk"), micro=Count("pk", filter=Q(micro=True)))
    communities = []
    if unit.kind in (UnitKind.STREET, UnitKind.TOWN):
        communities = list(
            Unit.objects.filter(
                parent=unit, active=True, kind__in=(UnitKind.COMMUNITY, UnitKind.VILLAGE)
            ).order_by("path")
        )
    return render(
        request,
        "happiness/public_unit.html",
        {
            "unit": unit,
            "page": page,
            "counts": counts,
            "communities": communities,
            "projects": access.public_projects(unit),
        },
    )


def public_project(request, pk):
    try:
        project = access.public_projects().get(pk=pk)
    except (Project.DoesNotExist, ValueError):
        raise Http404()
    return render(
        request,
        "happiness/public_project.html",
        {
            "p": project,
            "state": access.project_state(project),
            "milestones": list(project.milestones.all()),
        },
    )
