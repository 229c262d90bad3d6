"""Staff pages of deputies' suggestions (/deputies/): the list, entering one / many / an xlsx,
the register, counts per deputy and per unit, the formal answer (print) and its xlsx."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from minhu.appeals.models import Status
from minhu.core.errors import DomainError
from minhu.core.xlsx import Workbook
from minhu.evaluation import figures
from minhu.orgs.models import Unit, UnitKind
from minhu.web.permissions import scoped_page

from . import access, actions
from .models import COLUMNS_HINT, Deputy, DeputyLevel, SuggestionImport

_reader = scoped_page(access.may_read)


def _ctx(request, tab: str, **kw):
    return {"tab": tab, "can_write": actions.may_write(request.user), **kw}


def _year(request) -> int | None:
    value = request.GET.get("year") or ""
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


@_reader
def suggestions_view(request):
    qs = access.suggestions_visible_to(request.user).select_related(
        "deputy", "appeal", "appeal__lead_unit"
    )
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(number__icontains=q)
            | Q(deputy__name__icontains=q)
            | Q(appeal__code__iexact=q)
        )
    deputy = request.GET.get("deputy") or ""
    if deputy.isdigit():
        qs = qs.filter(deputy_id=int(deputy))
    state = request.GET.get("state") or ""
    if state == "open":
        qs = qs.filter(appeal__replied_at__isnull=True)
    elif state == "answered":
        qs = qs.filter(appeal__replied_at__isnull=False).exclude(appeal__status=Status.CLOSED)
    elif state == "closed":
        qs = qs.filter(appeal__status=Status.CLOSED)
    year = _year(request)
    if year:
        qs = qs.filter(year=year)
    page = Paginator(qs.order_by("-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "deputies/suggestions.html",
        _ctx(request, "suggestions", page=page, q=q, state=state, year=year or ""),
    )


def _grids():
    return Unit.objects.filter(kind=UnitKind.GRID, active=True).order_by("path")


@_reader
@require_http_methods(["GET", "POST"])
def new_view(request):
    if not actions.may_write(request.user):
        raise Http404()
    error = None
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        grid = None
        if (request.POST.get("grid") or "").isdigit():
            grid = _grids().filter(pk=int(request.POST["grid"])).first()
        try:
            s = actions.submit_suggestion(
                actor=request.user,
                deputy=request.POST.get("deputy") or 0,
                title=request.POST.get("title", ""),
                content=request.POST.get("content", ""),
                grid=grid,
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("已录入建议 %(n)s，工单 %(code)s") % {"n": s.number, "code": s.appeal.code},
            )
            return redirect("deputies:suggestion", s.pk)
    return render(
        request,
        "deputies/new.html",
        _ctx(
            request,
            "new",
            error=error,
            values=values,
            deputies=Deputy.objects.filter(active=True),
            grids=_grids(),
        ),
        status=400 if error else 200,
    )


@_reader
@require_http_methods(["GET", "POST"])
def bulk_view(request):
    """批量录入 (pasted rows) and 导入 (xlsx): every row or none, errors by row and column."""
    if not actions.may_write(request.user):
        raise Http404()
    error = None
    if request.method == "POST":
        try:
            if request.FILES.get("file") or request.POST.get("mode") == "xlsx":
                imp = actions.start_import(actor=request.user, upload=request.FILES.get("file"))
                return redirect("deputies:import", imp.pk)
            else:
                created = actions.submit_rows(
                    actor=request.user, rows=actions.parse_pasted(request.POST.get("rows", ""))
                )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已录入 %(n)d 条建议") % {"n": len(created)})
            return redirect("deputies:suggestions")
    return render(
        request,
        "deputies/bulk.html",
        _ctx(
            request,
            "bulk",
            error=error,
            row_errors=(error.details.get("errors") if error else None) or [],
            pasted=request.POST.get("rows", ""),
            columns=actions.COLUMNS,
            hint=COLUMNS_HINT,
            imports=SuggestionImport.objects.filter(created_by=request.user)[:5],
        ),
        status=400 if error else 200,
    )


@_reader
def import_view(request, pk):
    """An import's progress (the page refreshes itself until it is finished) and its report."""
    if not actions.may_write(request.user):
        raise Http404()
    try:
        imp = SuggestionImport.objects.get(pk=pk, created_by=request.user)
    except SuggestionImport.DoesNotExist:
        raise Http404()
    return render(request, "deputies/import.html", _ctx(request, "bulk", imp=imp))


def _xlsx_response(wb: Workbook, name: str) -> HttpResponse:
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@_reader
def template_view(request):
    wb = Workbook()
    ws = wb.sheet("代表建议")
    ws.append(actions.COLUMNS, bold=True)
    ws.append(["王代表", "", "建议增设社区老年食堂", "东一社区老年人多，建议增设老年食堂", ""])
    ws.column_widths([12, 14, 30, 60, 14])
    return _xlsx_response(wb, "deputy-suggestions-template.xlsx")


@_reader
def suggestion_view(request, pk):
    s = access.access_suggestion(request.user, pk)
    return render(
        request,
        "deputies/suggestion.html",
        _ctx(
            request,
            "suggestions",
            s=s,
            a=s.appeal,
            phone=access.shown_phone(request.user, s.deputy.phone),
            rate_url=request.build_absolute_uri(
                reverse("residents:track") + f"?code={s.appeal.code}"
            ),
        ),
    )


@_reader
def answers_xlsx_view(request):
    """The formal answers (答复) of the suggestions the user sees, phones masked by role."""
    qs = (
        access.suggestions_visible_to(request.user)
        .select_related("deputy", "appeal", "appeal__lead_unit")
        .order_by("number")
    )
    year = _year(request)
    if year:
        qs = qs.filter(year=year)
    wb = Workbook()
    ws = wb.sheet(_("代表建议答复"))
    ws.append(
        [
            _("建议编号"),
            _("代表"),
            _("代表级别"),
            _("选区"),
            _("联系电话"),
            _("标题"),
            _("工单编号"),
            _("主办单位"),
            _("状态"),
            _("答复时间"),
            _("答复内容"),
            _("代表评价"),
        ],
        bold=True,
    )
    for s in qs.iterator(chunk_size=500):
        a = s.appeal
        ws.append(
            [
                s.number,
                s.deputy.name,
                s.deputy.get_level_display(),
                s.deputy.constituency,
                access.shown_phone(request.user, s.deputy.phone),
                s.title,
                a.code,
                a.lead_unit.name if a.lead_unit else "",
                a.get_status_display(),
                timezone.localtime(a.replied_at).strftime("%Y-%m-%d %H:%M") if a.replied_at else "",
                a.reply,
                a.get_satisfaction_display() if a.satisfaction else "",
            ]
        )
    ws.column_widths([12, 10, 14, 16, 14, 30, 14, 16, 12, 17, 60, 10])
    return _xlsx_response(wb, "deputy-answers.xlsx")


@_reader
@require_http_methods(["GET", "POST"])
def register_view(request):
    """代表名册: search, add, take off the register."""
    error = None
    if request.method == "POST":
        if not actions.may_write(request.user):
            raise Http404()
        try:
            if request.POST.get("deputy"):
                d = actions.update_deputy(
                    request.POST["deputy"] if request.POST["deputy"].isdigit() else 0,
                    actor=request.user,
                    active=request.POST.get("active") == "1",
                )
                messages.success(request, _("已更新：%(name)s") % {"name": d.name})
            else:
                d = actions.create_deputy(
                    actor=request.user,
                    **{f: request.POST.get(f, "") for f in actions.DEPUTY_FIELDS if f != "active"},
                )
                messages.success(request, _("已登记代表：%(name)s") % {"name": d.name})
            return redirect("deputies:register")
        except DomainError as exc:
            error = exc
    qs = access.deputies_visible_to(request.user)
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(constituency__icontains=q))
    level = request.GET.get("level") or ""
    if level in DeputyLevel.values:
        qs = qs.filter(level=level)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    counts = {r["deputy_id"]: r for r in access.counts_per_deputy(request.user) if r["deputy_id"]}
    for d in page:
        d.shown_phone = access.shown_phone(request.user, d.phone)
        d.counts = counts.get(d.pk, {})
    return render(
        request,
        "deputies/register.html",
        _ctx(
            request,
            "register",
            page=page,
            q=q,
            level=level,
            levels=DeputyLevel.choices,
            error=error,
            values=request.POST if error else {},
        ),
        status=400 if error else 200,
    )


@_reader
def stats_view(request):
    year = _year(request)
    return render(
        request,
        "deputies/stats.html",
        _ctx(
            request,
            "stats",
            year=year or "",
            per_deputy=access.counts_per_deputy(request.user, year),
            per_unit=access.counts_per_unit(request.user, year),
            yoy=figures.channel_yoy("deputy"),
        ),
    )
