"""Staff pages of the accountability side (server-rendered), and the public red/black list."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import FollowUpSource, Satisfaction, Status
from minhu.categories.models import Category
from minhu.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import OUTSIDE_KINDS, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of, units_visible_to

from . import (
    access,
    actions,
    dashboard,
    evaluations,
    figures,
    importer,
    ledgers,
    promises,
    public,
    rankings,
    rates,
)
from .config import active_config
from .models import (
    DepartmentReview,
    HarmfulConduct,
    Interview,
    InterviewStatus,
    ListKind,
    NegativeIndicator,
    Nomination,
    NominationStatus,
    RankingGroup,
    RankingSnapshot,
    SupervisionStatus,
)
from .periods import Period, current_period, last_ended_period, parse_period


def staff_page(view):
    """Login required; domain errors become 404/403 pages."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            access.require_staff(request.user)
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404()
        except PermissionDenied as e:
            raise DjangoPermissionDenied(e.message)
        except DomainError as e:
            return render(
                request,
                "evaluation/error.html",
                _ctx(request, "", error=e),
                status=e.http_status,
            )

    return wrapper


def _period(request, default: Period | None = None) -> Period:
    config = active_config()
    default = default or last_ended_period(config.period_start_day)
    try:
        return parse_period(request.GET.get("period"), config.period_start_day, default=default)
    except InvalidInput:
        return default


def _period_choices(config, around: Period, n: int = 24) -> list[Period]:
    cur = current_period(config.period_start_day)
    return [cur.shift(-i) for i in range(n)]


def _ctx(request, section: str, **extra) -> dict:
    scope = scope_of(request.user)
    return {
        "section": section,
        "is_leader": access.is_leader(request.user),
        "is_centre": access.is_centre(request.user),
        "sees_district": scope.all_units,
        "can_import": scope.has_role(Role.DISPATCHER, Role.ADMIN),
        **extra,
    }


def _fail(request, err: DomainError) -> None:
    messages.error(request, err.message)


# --- dashboard ------------------------------------------------------------------------------


@staff_page
def dashboard_view(request):
    config = active_config()
    period = _period(request, current_period(config.period_start_day))
    unit = None
    if request.GET.get("unit"):
        unit = access.visible_unit(request.user, request.GET["unit"])
    elif not access.sees_district(request.user):
        unit = access.home_unit(request.user)
        if unit is None:
            raise NotFound()
    if unit is not None and unit.kind not in dashboard.DASHBOARD_KINDS:
        raise InvalidInput(_("只有街道、镇和区直部门有看板"))
    data = dashboard.build(period, config, unit)
    units = list(
        units_visible_to(request.user)
        .filter(kind__in=dashboard.DASHBOARD_KINDS)
        .order_by("kind", "path")
    )
    return render(
        request,
        "evaluation/dashboard.html",
        _ctx(
            request,
            "dashboard",
            data=data,
            chart_data={
                **dashboard.as_json(data),
                "labels": dashboard.chart_labels(),
                "keys": data["drill_keys"],
            },
            period=period,
            periods=_period_choices(config, period),
            unit=unit,
            units=units,
            config=config,
        ),
    )


# --- rankings -------------------------------------------------------------------------------


@staff_page
def rankings_view(request):
    config = active_config()
    period = _period(request)
    groups = []
    cache: dict = {}
    parties = Unit.objects.filter(kind__in=OUTSIDE_KINDS, active=True).exists()
    for group in RankingGroup:
        if group == RankingGroup.PARTY and not parties:
            continue  # a district without outside parties has no such table
        rows = rankings.ranking(period, group, config, cache)
        groups.append(
            {
                "group": group,
                "rows": rows,
                "snapshot": rankings.published(period, group),
            }
        )
    return render(
        request,
        "evaluation/rankings.html",
        _ctx(
            request,
            "rankings",
            period=period,
            periods=_period_choices(config, period),
            groups=groups,
            config=config,
            ended=period.has_ended(),
            definitions=figures.definitions(),
        ),
    )


@staff_page
@require_POST
def publish_view(request):
    config = active_config()
    try:
        period = parse_period(request.POST.get("period"), config.period_start_day)
        actions.publish_ranking(
            actor=request.user,
            period=period,
            note=request.POST.get("note", ""),
            revise=request.POST.get("revise") == "1",
        )
        messages.success(request, _("已发布%(p)s排名并冻结快照") % {"p": period.label})
    except DomainError as e:
        _fail(request, e)
        period = _period(request)
    return HttpResponseRedirect(reverse("evaluation:rankings") + f"?period={period.key}")


@staff_page
def snapshot_view(request, pk: int):
    try:
        snap = RankingSnapshot.objects.get(pk=pk)
    except RankingSnapshot.DoesNotExist:
        raise NotFound()
    diff = rankings.explain_difference(snap, active_config())
    versions = RankingSnapshot.objects.filter(period=snap.period, group=snap.group).order_by(
        "-version"
    )
    return render(
        request,
        "evaluation/snapshot.html",
        _ctx(request, "rankings", snap=snap, diff=diff, versions=versions),
    )


# --- drill-down -----------------------------------------------------------------------------


@staff_page
def rates_view(request):
    """The follow-ups (and their appeals) behind one figure."""
    config = active_config()
    period = _period(request)
    metric = request.GET.get("metric") or "valid"
    if metric not in rates.METRICS:
        raise NotFound()
    unit = None
    if request.GET.get("unit"):
        unit = access.visible_unit(request.user, request.GET["unit"])
    elif not access.sees_district(request.user):
        unit = access.home_unit(request.user)
        if unit is None:
            raise NotFound()
    if unit is not None:
        figures = rates.figures_for_units([unit], period, config)[unit.pk]
    else:
        figures = rates.figures_total(period.first_day, period.end_day, config)
    qs = rates.drilldown(period.first_day, period.end_day, config, metric, unit)
    visible = appeals_visible_to(request.user)
    if not access.sees_district(request.user):
        qs = qs.filter(appeal__in=visible.values("pk"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/rates.html",
        _ctx(
            request,
            "rates",
            period=period,
            periods=_period_choices(config, period),
            unit=unit,
            metric=metric,
            units=list(
                units_visible_to(request.user)
                .filter(kind__in=dashboard.DASHBOARD_KINDS)
                .order_by("kind", "path")
            ),
            metric_label=rates.METRICS[metric],
            metrics=rates.METRICS,
            figures=figures,
            page=page,
            config=config,
        ),
    )


# --- evaluations ----------------------------------------------------------------------------


@staff_page
def evaluations_view(request):
    config = active_config()
    period = _period(request, current_period(config.period_start_day))
    scope = scope_of(request.user)
    review_units = list(
        Unit.objects.filter(
            pk__in=scope.acting_units("unit_leader", "handler"),
            kind__in=[UnitKind.STREET, UnitKind.TOWN],
        )
    )
    reviews = evaluations.department_reviews(period, config)
    enterprise = evaluations.enterprise_ratings(period, config)
    service = evaluations.service_ratings(period, config)
    if not scope.all_units:
        reviews = [s for s in reviews if s.unit_id in scope.unit_ids]
        enterprise = [s for s in enterprise if s.unit_id in scope.unit_ids]
        service = [s for s in service if s.unit_id in scope.unit_ids]
    done = set()
    if review_units:
        done = set(
            DepartmentReview.objects.filter(
                period=period.key, reviewer_unit__in=review_units
            ).values_list("department_id", flat=True)
        )
    departments = Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("name")
    return render(
        request,
        "evaluation/evaluations.html",
        _ctx(
            request,
            "evaluations",
            period=period,
            periods=_period_choices(config, period, 6),
            reviews=reviews,
            enterprise=enterprise,
            service=service,
            review_units=review_units,
            departments=list(departments),
            reviewed=done,
            indicators=NegativeIndicator.objects.filter(active=True),
            scores=Satisfaction.choices,
            config=config,
        ),
    )


@staff_page
@require_POST
def review_submit_view(request):
    config = active_config()
    try:
        period = parse_period(request.POST.get("period"), config.period_start_day)
        dept = Unit.objects.filter(pk=request.POST.get("department") or 0).first()
        if dept is None:
            raise InvalidInput(_("请选择被评部门"), field="department")
        inds = NegativeIndicator.objects.filter(pk__in=request.POST.getlist("indicators"))
        actions.submit_department_review(
            actor=request.user,
            department=dept,
            period=period,
            satisfaction=request.POST.get("satisfaction", ""),
            indicators=list(inds),
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("已提交对%(d)s的评价") % {"d": dept.name})
    except DomainError as e:
        _fail(request, e)
        period = _period(request)
    return HttpResponseRedirect(reverse("evaluation:evaluations") + f"?period={period.key}")


@staff_page
@require_POST
def flag_evaluations_view(request):
    config = active_config()
    try:
        period = parse_period(request.POST.get("period"), config.period_start_day)
        flagged = actions.flag_evaluations(actor=request.user, period=period)
        messages.success(request, _("新列入约谈 %(n)s 个单位") % {"n": len(flagged)})
    except DomainError as e:
        _fail(request, e)
    return HttpResponseRedirect(reverse("evaluation:interviews"))


# --- 约谈 -----------------------------------------------------------------------------------


@staff_page
def interviews_view(request):
    qs = access.interviews_visible_to(request.user).select_related("unit", "item")
    status = request.GET.get("status")
    if status in InterviewStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-period", "status", "unit__path"), 30).get_page(
        request.GET.get("page")
    )
    for i in page:
        i.promise_state = promises.state_of(i.item) if i.item_id else ""
        i.promise_state_label = promises.STATES.get(i.promise_state, "")
    return render(
        request,
        "evaluation/interviews.html",
        _ctx(request, "interviews", page=page, statuses=InterviewStatus.choices, status=status),
    )


@staff_page
def interview_view(request, pk: int):
    try:
        obj = access.interviews_visible_to(request.user).select_related("unit", "item").get(pk=pk)
    except Interview.DoesNotExist:
        raise NotFound()
    errors = None
    state = promises.state_of(obj.item) if obj.item_id else ""
    if request.method == "POST":
        try:
            if request.POST.get("waive") == "1":
                actions.waive_interview(obj, actor=request.user, reason=request.POST.get("record"))
            else:
                held = parse_datetime(request.POST.get("held_at", "") or "")
                if held is not None and timezone.is_naive(held):
                    held = timezone.make_aware(held)
                actions.record_interview(
                    obj,
                    actor=request.user,
                    held_at=held,
                    interviewer=request.POST.get("interviewer", ""),
                    attendees=request.POST.get("attendees", ""),
                    record=request.POST.get("record", ""),
                    promise=request.POST.get("promise", ""),
                    promise_due=parse_date(request.POST.get("promise_due", "") or ""),
                )
            messages.success(request, _("已保存约谈记录"))
            return HttpResponseRedirect(reverse("evaluation:interview", args=[obj.pk]))
        except DomainError as e:
            errors = e
    return render(
        request,
        "evaluation/interview.html",
        _ctx(
            request,
            "interviews",
            obj=obj,
            error=errors,
            form=request.POST,
            promise_state=state,
            promise_state_label=promises.STATES.get(state, ""),
        ),
    )


# --- 红黑榜 ---------------------------------------------------------------------------------


@staff_page
def redblack_view(request):
    if not access.is_centre(request.user):
        raise NotFound()
    config = active_config()
    period = _period(request)
    qs = Nomination.objects.filter(period=period.key).select_related(
        "unit", "conduct", "rule", "nominated_by", "decided_by"
    )
    return render(
        request,
        "evaluation/redblack.html",
        _ctx(
            request,
            "redblack",
            period=period,
            periods=_period_choices(config, period),
            nominations=qs,
            conducts=HarmfulConduct.objects.filter(active=True),
            units=Unit.objects.filter(
                kind__in=[
                    UnitKind.STREET,
                    UnitKind.TOWN,
                    UnitKind.DEPARTMENT,
                    UnitKind.COMPANY,
                    *OUTSIDE_KINDS,
                ],
                active=True,
            ).order_by("kind", "path"),
            kinds=ListKind.choices,
        ),
    )


@staff_page
@require_POST
def nominate_view(request):
    config = active_config()
    try:
        period = parse_period(request.POST.get("period"), config.period_start_day)
        if request.POST.get("propose") == "1":
            made = actions.propose_from_rules(actor=request.user, period=period)
            messages.success(request, _("按规则新增 %(n)s 条提名") % {"n": len(made)})
        else:
            unit = Unit.objects.filter(pk=request.POST.get("unit") or 0).first()
            conduct = HarmfulConduct.objects.filter(pk=request.POST.get("conduct") or 0).first()
            actions.nominate(
                actor=request.user,
                list_kind=request.POST.get("list_kind", ""),
                period=period,
                reason=request.POST.get("reason", ""),
                unit=unit,
                subject_name=request.POST.get("subject_name", ""),
                conduct=conduct,
            )
            messages.success(request, _("已提交提名，等待审核"))
    except DomainError as e:
        _fail(request, e)
        period = _period(request)
    return HttpResponseRedirect(reverse("evaluation:redblack") + f"?period={period.key}")


@staff_page
@require_POST
def decide_view(request, pk: int):
    try:
        n = actions.decide_nomination(
            pk,
            actor=request.user,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("已审核：%(s)s") % {"s": n.get_status_display()})
        period = n.period
    except DomainError as e:
        _fail(request, e)
        period = request.POST.get("period", "")
    return HttpResponseRedirect(reverse("evaluation:redblack") + f"?period={period}")


def _public_refused(request, err: DomainError):
    return render(
        request,
        "evaluation/public_error.html",
        {"error": err},
        status=err.http_status,
    )


def public_index_view(request):
    """公开阅卷: the district's page (a list when the deployment holds several districts)."""
    try:
        public.check_limit(request)
    except DomainError as e:
        return _public_refused(request, e)
    found = list(public.districts()[:50])
    if len(found) == 1:
        url = reverse("evaluation:public_exam", args=[found[0].pk])
        period = request.GET.get("period", "")
        if re.fullmatch(r"\d{4}-\d{2}", period):
            url += f"?period={period}"
        return HttpResponseRedirect(url)
    return render(request, "evaluation/public_index.html", {"districts": found})


def public_exam_view(request, pk: int):
    """公开阅卷: a district's published figures of an ended period, each with its definition,
    and the published rankings. No login, no personal data, cached and rate-limited."""
    config = active_config()
    try:
        public.check_limit(request)
        unit = public.district(pk)
    except NotFound:
        raise Http404()
    except DomainError as e:
        return _public_refused(request, e)
    choices = public.periods(config)
    error = None
    try:
        period = public.period_of(request.GET.get("period"), config)
    except DomainError as e:
        error, period = e, choices[0]
    data = public.exam(unit, period, config)
    return render(
        request,
        "evaluation/public_exam.html",
        {
            "data": data,
            "period": period,
            "periods": choices,
            "error": error,
        },
        status=400 if error else 200,
    )


def public_redblack_view(request):
    """The published red and black lists: no login."""
    try:
        public.check_limit(request)
    except DomainError as e:
        return _public_refused(request, e)
    qs = (
        Nomination.objects.filter(status=NominationStatus.APPROVED)
        .select_related("conduct")
        .order_by("-period", "list_kind", "subject_name")
    )
    periods = sorted(set(qs.values_list("period", flat=True)), reverse=True)
    period = request.GET.get("period") or (periods[0] if periods else "")
    rows = [n for n in qs if n.period == period]
    return render(
        request,
        "evaluation/public_redblack.html",
        {
            "period": period,
            "periods": periods,
            "red": [n for n in rows if n.list_kind == ListKind.RED],
            "black": [n for n in rows if n.list_kind == ListKind.BLACK],
            "conducts": HarmfulConduct.objects.filter(active=True),
        },
    )


# --- 督办 -----------------------------------------------------------------------------------


@staff_page
def supervision_view(request):
    qs = access.supervisions_visible_to(request.user).select_related("appeal", "unit", "created_by")
    status = request.GET.get("status") or SupervisionStatus.OPEN
    if status in SupervisionStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("auto") in ("0", "1"):
        qs = qs.filter(auto=request.GET["auto"] == "1")
    page = Paginator(qs.order_by("due_at", "id"), 30).get_page(request.GET.get("page"))
    placers: dict[int | None, list | None] = {}  # one look-up per creator, not per row
    for s in page:
        if s.status == SupervisionStatus.OPEN:
            if s.created_by_id not in placers:
                placers[s.created_by_id] = access.placing_units(s)
            s.can_cancel = access.can_cancel_supervision(
                request.user, s, placers=placers[s.created_by_id]
            )
    return render(
        request,
        "evaluation/supervision.html",
        _ctx(
            request,
            "supervision",
            page=page,
            status=status,
            statuses=SupervisionStatus.choices,
            now=timezone.now(),
            can_supervise=scope_of(request.user).has_role(*actions.SUPERVISE_ROLES),
            units=units_visible_to(request.user)
            .filter(kind__in=[UnitKind.STREET, UnitKind.TOWN, UnitKind.DEPARTMENT])
            .order_by("kind", "path"),
        ),
    )


_due = actions.supervision_due_from_date


@staff_page
@require_POST
def supervise_view(request):
    try:
        if request.POST.get("code"):
            code = request.POST["code"].strip().upper()
            appeal = appeals_visible_to(request.user).filter(code=code).first()
            if appeal is None:
                raise NotFound(_("未找到该诉求"))
            actions.supervise_appeal(
                appeal,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                requirement=request.POST.get("requirement", ""),
                due_at=_due(request.POST.get("due_at")),
            )
        else:
            unit = access.visible_unit(request.user, request.POST.get("unit"))
            actions.supervise_unit(
                unit,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                requirement=request.POST.get("requirement", ""),
                due_at=_due(request.POST.get("due_at")),
            )
        messages.success(request, _("已列入督办"))
    except DomainError as e:
        _fail(request, e)
    return HttpResponseRedirect(reverse("evaluation:supervision"))


@staff_page
@require_POST
def supervision_close_view(request, pk: int):
    try:
        actions.close_supervision(
            pk,
            actor=request.user,
            result=request.POST.get("result", ""),
            cancel=request.POST.get("cancel") == "1",
        )
        messages.success(request, _("督办已结束"))
    except DomainError as e:
        _fail(request, e)
    return HttpResponseRedirect(reverse("evaluation:supervision"))


# --- ledgers and import ---------------------------------------------------------------------


@staff_page
def ledgers_view(request):
    scope = scope_of(request.user)
    return render(
        request,
        "evaluation/ledgers.html",
        _ctx(
            request,
            "ledgers",
            kinds=ledgers.KINDS,
            units=units_visible_to(request.user).exclude(kind=UnitKind.GRID).order_by("path"),
            domains=Category.objects.filter(parent=None, active=True),
            statuses=Status.choices,
            today=timezone.localdate(),
            month_start=timezone.localdate().replace(day=1),
            handlers=scope.all_units,
        ),
    )


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput(_("参数格式不正确"))


@staff_page
def ledger_download_view(request):
    g = request.GET
    try:
        req = ledgers.build(
            request.user,
            g.get("kind", ""),
            start=parse_date(g.get("start") or "") if g.get("start") else None,
            end=parse_date(g.get("end") or "") if g.get("end") else None,
            unit_id=_int(g.get("unit")),
            category_id=_int(g.get("category")),
            handler_id=_int(g.get("handler")),
            status=g.get("status") or None,
        )
    except InvalidInput as e:
        _fail(request, e)
        return HttpResponseRedirect(reverse("evaluation:ledgers"))
    f = ledgers.render(req)
    name = f"{req.title}.xlsx"
    return FileResponse(f, as_attachment=True, filename=name)


@staff_page
def import_view(request):
    if not scope_of(request.user).has_role(Role.DISPATCHER, Role.ADMIN):
        raise NotFound()
    result = batch = None
    if request.method == "POST":
        f = request.FILES.get("file")
        try:
            if f is None:
                raise InvalidInput(_("请选择要导入的文件"), field="file")
            if f.size > importer.INLINE_BYTES:  # checked and written by a background job
                imp = importer.start_import(actor=request.user, upload=f)
                return HttpResponseRedirect(reverse("evaluation:import_job", args=[imp.pk]))
            batch, result = importer.import_file(f.read(), f.name, actor=request.user)
            if batch is not None:
                messages.success(request, _("已导入 %(n)s 条历史工单") % {"n": batch.rows})
        except DomainError as e:
            _fail(request, e)
    from .models import HistoryImport, ImportBatch

    return render(
        request,
        "evaluation/import.html",
        _ctx(
            request,
            "import",
            result=result,
            batch=batch,
            errors=result.errors[:500] if result else [],
            headers=importer.template_headers(),
            required={importer.COLUMNS[k][0] for k in importer.REQUIRED},
            batches=ImportBatch.objects.select_related("imported_by")[:10],
            running=HistoryImport.objects.exclude(
                status__in=["done", "rejected", "failed"]
            ).select_related("created_by")[:10],
        ),
    )


@staff_page
def import_job_view(request, pk: int):
    """A background import's progress (the fragment polls itself every second until done)."""
    from .models import HistoryImport

    if not scope_of(request.user).has_role(Role.DISPATCHER, Role.ADMIN):
        raise NotFound()
    imp = HistoryImport.objects.filter(pk=pk).select_related("created_by", "batch").first()
    if imp is None:
        raise NotFound()
    ctx = {
        "imp": imp,
        "percent": importer.percent(imp),
        "written": importer.written_rows(imp),
        "errors": imp.errors,
    }
    if request.headers.get("HX-Request"):
        return render(request, "evaluation/_history_import.html", ctx)
    return render(request, "evaluation/import_job.html", _ctx(request, "import", **ctx))


@staff_page
def import_template_view(request):
    return FileResponse(
        ledgers.import_template(), as_attachment=True, filename=_("历史工单导入模板") + ".xlsx"
    )


@staff_page
def config_view(request):
    config = active_config()
    return render(
        request,
        "evaluation/config.html",
        _ctx(
            request,
            "config",
            config=config,
            valid_sources=[
                FollowUpSource(s).label if s in FollowUpSource.values else s
                for s in config.valid_sources or []
            ],
            is_admin=scope_of(request.user).has_role("admin"),
        ),
    )


@staff_page
def appeals_view(request):
    """The appeals behind a dashboard volume figure (period, unit, dimension and key)."""
    from minhu.appeals.models import OPEN_STATUSES

    from .aggregates import local_start

    config = active_config()
    period = _period(request, current_period(config.period_start_day))
    unit = None
    if request.GET.get("unit"):
        unit = access.visible_unit(request.user, request.GET["unit"])
    elif not access.sees_district(request.user):
        unit = access.home_unit(request.user)
    dim, key = request.GET.get("dim", ""), request.GET.get("key", "")
    qs = appeals_visible_to(request.user).filter(dashboard._scope_q(unit))
    title = period.label
    if dim in ("open", "overdue"):
        qs = qs.filter(status__in=OPEN_STATUSES)
        title = _("当前在办")
        if dim == "overdue":
            qs = qs.filter(current_due_at__lt=timezone.now())
            title = _("当前超时未办")
    else:
        qs = qs.filter(created_at__gte=period.start, created_at__lt=period.end)
        if dim == "day":
            d = parse_date(key)
            if d is None:
                raise NotFound()
            qs = qs.filter(
                created_at__gte=local_start(d), created_at__lt=local_start(d + dt.timedelta(days=1))
            )
            title = f"{d:%Y-%m-%d}"
        elif dim in ("channel", "category", "grid", "street"):
            field = {
                "channel": "channel",
                "category": "category_id",
                "grid": "grid_id",
                "street": "street_id",
            }[dim]
            qs = qs.filter(**{field: key}) if key else qs.filter(**{f"{field}__isnull": True})
        elif dim in figures.COMPLETION_METRICS:
            qs = qs.filter(figures.completion_q(dim, key))
            title = f"{period.label} · {figures.COMPLETION_METRICS[dim]}"
    qs = qs.select_related("category", "lead_unit", "street", "grid").order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/appeals.html",
        _ctx(request, "dashboard", page=page, title=title, unit=unit, period=period),
    )
