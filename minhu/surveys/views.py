"""Questionnaire pages: staff (/surveys/: list, build, publish, QR and poster, results with
charts, answers, xlsx) and the residents' H5 page (/h5/q/<slug>/)."""

from __future__ import annotations

import io
from collections import Counter

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minhu.appeals.access import appeals_visible_to
from minhu.core.errors import DomainError, NotFound
from minhu.core.xlsx import Workbook
from minhu.residents import qr, throttle
from minhu.web.permissions import scoped_page

from . import access, actions
from .models import Identity, QuestionKind, Response, Survey, SurveyStatus

_staff = scoped_page(
    lambda user: actions.may_build(user) or access.surveys_visible_to(user).exists()
)


def public_url(request, survey: Survey) -> str:
    return qr.absolute(request, reverse("surveys_h5:answer", args=[survey.slug]))


@_staff
@require_http_methods(["GET", "POST"])
def list_view(request):
    error = None
    if request.method == "POST":
        try:
            s = actions.create_survey(
                actor=request.user,
                title=request.POST.get("title", ""),
                intro=request.POST.get("intro", ""),
                identity=request.POST.get("identity", Identity.OPTIONAL),
                one_per_phone=request.POST.get("one_per_phone") == "1",
                grid=request.POST.get("grid") or None,
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("surveys:detail", s.pk)
    qs = access.surveys_visible_to(request.user).annotate(
        n=Count("responses"), problems=Count("responses", filter=Q(responses__problem=True))
    )
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(title__icontains=q)
    status = request.GET.get("status") or ""
    if status in SurveyStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": SurveyStatus.choices,
            "identities": Identity.choices,
            "grids": access.grids_for(request.user),
            "can_build": actions.may_build(request.user),
            "error": error,
            "values": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@_staff
@require_http_methods(["GET", "POST"])
def detail_view(request, pk):
    survey = access.access_survey(request.user, pk)
    error = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "add":
                actions.add_question(
                    survey,
                    actor=request.user,
                    kind=request.POST.get("kind", ""),
                    text=request.POST.get("text", ""),
                    required=request.POST.get("required") == "1",
                    options=request.POST.get("options", ""),
                    problem_options=request.POST.get("problem_options", ""),
                    problem_rating_max=request.POST.get("problem_rating_max") or None,
                )
            elif op == "remove":
                actions.remove_question(int(request.POST.get("question") or 0), actor=request.user)
            elif op in ("up", "down"):
                actions.move_question(
                    int(request.POST.get("question") or 0), actor=request.user, up=op == "up"
                )
            elif op == "edit":
                actions.edit_question(
                    int(request.POST.get("question") or 0),
                    actor=request.user,
                    text=request.POST.get("text", ""),
                    required=request.POST.get("required") == "1",
                    options=request.POST.get("options", ""),
                    problem_options=request.POST.get("problem_options", ""),
                    problem_rating_max=request.POST.get("problem_rating_max") or None,
                )
            elif op == "publish":
                actions.publish(survey, actor=request.user)
                messages.success(request, _("问卷已发布，可以分享链接或打印二维码"))
            elif op == "close":
                actions.close(survey, actor=request.user)
                messages.success(request, _("问卷已结束收集"))
            else:
                raise Http404()
        except DomainError as exc:
            error = exc
        else:
            return redirect("surveys:detail", survey.pk)
    survey.refresh_from_db()
    return render(
        request,
        "surveys/detail.html",
        {
            "s": survey,
            "tab": "build",
            "questions": survey.questions.all(),
            "kinds": QuestionKind.choices,
            "url": public_url(request, survey),
            "can_build": actions.may_build(request.user),
            "error": error,
            "values": request.POST if error else {},
            "n": survey.responses.count(),
        },
        status=400 if error else 200,
    )


def _results(survey: Survey) -> list[dict]:
    questions = list(survey.questions.all())
    counters = {q.pk: Counter() for q in questions}
    texts: dict[int, list[str]] = {q.pk: [] for q in questions}
    answered = Counter()
    for answers in survey.responses.values_list("answers", flat=True).iterator(chunk_size=2000):
        for q in questions:
            v = answers.get(str(q.pk))
            if v is None:
                continue
            answered[q.pk] += 1
            if q.kind == QuestionKind.MULTIPLE:
                counters[q.pk].update(v)
            elif q.kind == QuestionKind.TEXT:
                if len(texts[q.pk]) < 20:
                    texts[q.pk].append(v)
            else:
                counters[q.pk][str(v)] += 1
    out = []
    for q in questions:
        labels = q.options if q.kind != QuestionKind.RATING else ["1", "2", "3", "4", "5"]
        counts = [counters[q.pk].get(label, 0) for label in labels]
        item = {"q": q, "answered": answered[q.pk], "rows": list(zip(labels, counts, strict=True))}
        if q.kind == QuestionKind.RATING and answered[q.pk]:
            item["average"] = round(
                sum(int(k) * n for k, n in counters[q.pk].items()) / answered[q.pk], 2
            )
        if q.kind == QuestionKind.TEXT:
            item["texts"] = texts[q.pk]
        else:
            item["chart"] = {"id": f"chart-{q.pk}", "labels": labels, "counts": counts}
        out.append(item)
    return out


@_staff
def results_view(request, pk):
    survey = access.access_survey(request.user, pk)
    results = _results(survey)
    return render(
        request,
        "surveys/results.html",
        {
            "s": survey,
            "tab": "results",
            "results": results,
            "charts": [r["chart"] for r in results if "chart" in r],
            "n": survey.responses.count(),
            "problems": survey.responses.filter(problem=True).count(),
        },
    )


@_staff
def responses_view(request, pk):
    survey = access.access_survey(request.user, pk)
    qs = survey.responses.select_related("appeal")
    only = request.GET.get("problem") or ""
    if only == "1":
        qs = qs.filter(problem=True)
    elif only == "appeal":
        qs = qs.filter(appeal__isnull=False)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    questions = list(survey.questions.all())
    # The work item opens only for those the loop lets see it (e.g. once dispatched to them).
    visible = set(
        appeals_visible_to(request.user)
        .filter(pk__in=[r.appeal_id for r in page if r.appeal_id])
        .values_list("pk", flat=True)
    )
    for r in page:
        r.appeal_visible = r.appeal_id in visible
        r.lines = actions.answer_lines_for(questions, r.answers)
        r.shown_phone = access.shown_phone(request.user, r.phone)
    return render(
        request,
        "surveys/responses.html",
        {
            "s": survey,
            "tab": "responses",
            "page": page,
            "only": only,
            "can_register": actions.may_build(request.user),
        },
    )


@_staff
@require_POST
def make_appeal_view(request, pk, rid):
    survey = access.access_survey(request.user, pk)
    try:
        r = actions.make_appeal(
            Response.objects.filter(survey=survey, pk=rid).values_list("pk", flat=True).first()
            or 0,
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已转为诉求 %(code)s") % {"code": r.appeal.code})
    return redirect(reverse("surveys:responses", args=[survey.pk]) + "?" + request.GET.urlencode())


@_staff
def export_view(request, pk):
    """The answers as xlsx: one row per answer, one column per question, phones masked by
    role; every text cell written as text (core.xlsx)."""
    survey = access.access_survey(request.user, pk)
    questions = list(survey.questions.all())
    wb = Workbook()
    ws = wb.sheet(survey.title)
    ws.append(
        [
            _("序号"),
            _("提交时间"),
            _("姓名"),
            _("手机号"),
            *[q.text for q in questions],
            _("反映问题"),
            _("诉求编号"),
        ],
        bold=True,
    )
    for r in survey.responses.select_related("appeal").order_by("id").iterator(chunk_size=1000):
        cells = []
        for q in questions:
            v = r.answers.get(str(q.pk))
            cells.append("、".join(v) if isinstance(v, list) else v)
        ws.append(
            [
                r.pk,
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                r.name,
                access.shown_phone(request.user, r.phone),
                *cells,
                _("是") if r.problem else "",
                r.appeal.code if r.appeal else "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.xlsx"'
    return resp


@_staff
def qr_view(request, pk, fmt):
    survey = access.access_survey(request.user, pk)
    url = public_url(request, survey)
    if fmt == "png":
        resp = HttpResponse(qr.png(url), content_type="image/png")
        resp["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.png"'
        return resp
    return HttpResponse(qr.svg(url), content_type="image/svg+xml")


@_staff
def poster_view(request, pk):
    survey = access.access_survey(request.user, pk)
    return render(request, "surveys/poster.html", {"s": survey, "url": public_url(request, survey)})


# --- residents' H5 ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def answer_view(request, slug):
    survey = Survey.objects.filter(slug=slug).first()
    if survey is None or survey.status == SurveyStatus.DRAFT:
        raise Http404()
    questions = list(survey.questions.all())
    error = None
    limited = False
    status = 200
    if request.method == "POST" and survey.status == SurveyStatus.OPEN:
        if throttle.exceeded("survey", request):
            limited, status = True, 429
        else:
            answers = {
                str(q.pk): (
                    request.POST.getlist(f"q{q.pk}")
                    if q.kind == QuestionKind.MULTIPLE
                    else request.POST.get(f"q{q.pk}", "")
                )
                for q in questions
            }
            try:
                r = actions.submit_response(
                    slug,
                    answers=answers,
                    name=request.POST.get("name", ""),
                    phone=request.POST.get("phone", ""),
                    ip_hash=throttle.ip_hash(request),
                )
            except DomainError as exc:
                error, status = exc, 400
            else:
                throttle.hit("survey", request)
                request.session["survey_done"] = r.pk
                return redirect("surveys_h5:done", slug)
    # Keep what the resident chose when the form comes back with an error.
    kept = request.POST if (error or limited) else None
    for q in questions:
        chosen = set(kept.getlist(f"q{q.pk}")) if kept is not None else set()
        values = q.options if q.kind != QuestionKind.RATING else ["1", "2", "3", "4", "5"]
        q.choices = [(v, v in chosen) for v in values]
        q.kept_text = kept.get(f"q{q.pk}", "") if kept is not None else ""
    return render(
        request,
        "surveys/answer.html",
        {
            "s": survey,
            "questions": questions,
            "error": error,
            "error_field": (error.details or {}).get("field") if error else None,
            "limited": limited,
            "limit_minutes": throttle.window_minutes("survey"),
            "post": request.POST if error or limited else None,
            "ratings": ["1", "2", "3", "4", "5"],
        },
        status=status,
    )


def done_view(request, slug):
    survey = Survey.objects.filter(slug=slug).exclude(status=SurveyStatus.DRAFT).first()
    if survey is None:
        raise Http404()
    rid = request.session.get("survey_done")
    r = Response.objects.filter(pk=rid, survey=survey).select_related("appeal").first()
    return render(request, "surveys/done.html", {"s": survey, "r": r})
