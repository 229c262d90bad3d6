"""Verbs of questionnaires: build (draft), publish, close; a resident's answer (actor None,
through the H5 page); an answer turned into a work item by the rule or by a staff member. One
transaction each; survey changes are audited through `core.audit`, the work item's REGISTER
event records an appeal made from an answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import AppellantKind, Channel
from minhu.core import audit
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.core.models import ConfigAction
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import (
    KIND,
    Identity,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)

BUILD_ROLES = (Role.DISPATCHER, Role.ADMIN, Role.HANDLER, Role.UNIT_LEADER)
SURVEY_FIELDS = ("title", "intro", "identity", "one_per_phone", "grid", "status")
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_TEXT = 1000


def may_build(actor) -> bool:
    return actor is not None and scope_of(actor).has_role(*BUILD_ROLES)


def owner_unit_for(actor) -> int | None:
    """The unit a new survey belongs to: the actor's first unit with a building role."""
    units = sorted(scope_of(actor).acting_units(*BUILD_ROLES))
    return units[0] if units else None


def _require_builder(actor) -> None:
    if not may_build(actor):
        raise PermissionDenied(_("您无权管理问卷"))


def _lock(actor, survey: Survey | int) -> Survey:
    from .access import surveys_visible_to

    pk = survey.pk if isinstance(survey, Survey) else survey
    try:
        return surveys_visible_to(actor).select_for_update().get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise IllegalTransition(_("问卷已发布，题目不能再修改"), code="not_draft")


def _clean_grid(actor, grid) -> Unit | None:
    from .access import grids_for

    if grid in (None, ""):
        return None
    pk = grid.pk if isinstance(grid, Unit) else grid
    grid = grids_for(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if grid is None or grid.kind != UnitKind.GRID:
        raise InvalidInput(_("所选单位不是网格"), code="invalid_grid", field="grid")
    return grid


@transaction.atomic
def create_survey(
    *,
    actor,
    title: str,
    intro: str = "",
    identity: str = Identity.OPTIONAL,
    one_per_phone: bool = False,
    grid=None,
) -> Survey:
    """新建问卷 (a draft)."""
    _require_builder(actor)
    if not (title or "").strip():
        raise InvalidInput(_("请填写问卷标题"), code="required", field="title")
    clean = audit.clean_fields(
        Survey,
        {"title": title, "intro": intro, "identity": identity, "one_per_phone": one_per_phone},
    )
    survey = Survey.objects.create(
        **clean,
        grid=_clean_grid(actor, grid),
        created_by=actor,
        owner_unit_id=owner_unit_for(actor),
    )
    audit.record_created(actor, survey, SURVEY_FIELDS)
    return survey


def _options(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    out: list[str] = []
    for v in value or []:
        v = str(v).strip()
        if v and v not in out:
            out.append(v[:100])
    return out


def _clean_question(
    kind: str, text: str, options, problem_options, problem_rating_max
) -> dict[str, Any]:
    """A question's fields checked: choice questions need 2+ options; the problem rule names
    options of the question, or a rating (1–5) at or below which an answer reports a problem."""
    if kind not in QuestionKind.values:
        raise InvalidInput(_("题型不正确"), code="invalid_choice", field="kind")
    text = (text or "").strip()
    if len(text) < 2:
        raise InvalidInput(_("题目至少2个字"), code="too_short", field="text")
    if len(text) > 200:
        raise InvalidInput(_("题目不能超过200个字"), code="too_long", field="text")
    opts = _options(options) if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(opts) < 2:
            raise InvalidInput(_("选择题至少需要2个选项"), code="too_few_options", field="options")
        if len(opts) > MAX_OPTIONS:
            raise InvalidInput(
                _("选项不能超过%(n)d个") % {"n": MAX_OPTIONS},
                code="too_many_options",
                field="options",
            )
    problems = _options(problem_options) if opts else []
    unknown = [p for p in problems if p not in opts]
    if unknown:
        raise InvalidInput(
            _("反映问题的选项不在选项中：%(o)s") % {"o": "、".join(unknown)},
            code="invalid_rule",
            field="problem_options",
        )
    rating_max = None
    if kind == QuestionKind.RATING and problem_rating_max not in (None, ""):
        try:
            rating_max = int(problem_rating_max)
        except (TypeError, ValueError):
            rating_max = 0
        if not 1 <= rating_max <= 4:
            raise InvalidInput(
                _("评分规则应为1-4"), code="invalid_rule", field="problem_rating_max"
            )
    return {
        "kind": kind,
        "text": text,
        "options": opts,
        "problem_options": problems,
        "problem_rating_max": rating_max,
    }


@transaction.atomic
def add_question(
    survey: Survey | int,
    *,
    actor,
    kind: str,
    text: str,
    required: bool = False,
    options=(),
    problem_options=(),
    problem_rating_max: int | None = None,
) -> Question:
    """加题 (drafts only), checked by `_clean_question`."""
    survey = _lock(actor, survey)
    _require_builder(actor)
    _require_draft(survey)
    clean = _clean_question(kind, text, options, problem_options, problem_rating_max)
    if survey.questions.count() >= MAX_QUESTIONS:
        raise InvalidInput(
            _("一份问卷最多%(n)d题") % {"n": MAX_QUESTIONS}, code="too_many_questions"
        )
    last = survey.questions.order_by("-position").values_list("position", flat=True).first()
    q = Question.objects.create(
        survey=survey, position=(last or 0) + 1, required=bool(required), **clean
    )
    audit.record(actor, ConfigAction.UPDATE, survey, {"question": [None, clean["text"]]})
    return q


def _lock_question(actor, question: Question | int) -> tuple[Survey, Question]:
    qid = question.pk if isinstance(question, Question) else question
    survey_id = Question.objects.filter(pk=qid).values_list("survey_id", flat=True).first()
    if survey_id is None:
        raise NotFound()
    survey = _lock(actor, survey_id)
    _require_builder(actor)
    _require_draft(survey)
    return survey, Question.objects.select_for_update().get(pk=qid)


@transaction.atomic
def edit_question(
    question: Question | int,
    *,
    actor,
    text: str,
    required: bool = False,
    options=(),
    problem_options=(),
    problem_rating_max: int | None = None,
) -> Question:
    """改题 (drafts only): its text, whether it is required, options and problem rule; the
    kind stays."""
    survey, q = _lock_question(actor, question)
    clean = _clean_question(q.kind, text, options, problem_options, problem_rating_max)
    before = q.text
    for k, v in clean.items():
        setattr(q, k, v)
    q.required = bool(required)
    q.save(update_fields=[*clean, "required"])
    audit.record(actor, ConfigAction.UPDATE, survey, {"question": [before, q.text]})
    return q


@transaction.atomic
def move_question(question: Question | int, *, actor, up: bool) -> Question:
    """调整题序 (drafts only): swap with the question above (or below)."""
    survey, q = _lock_question(actor, question)
    others = survey.questions.exclude(pk=q.pk)
    if up:
        other = others.filter(position__lte=q.position).order_by("-position", "-id").first()
    else:
        other = others.filter(position__gte=q.position).order_by("position", "id").first()
    if other is None:
        raise InvalidInput(_("已经是第一题") if up else _("已经是最后一题"), code="at_edge")
    ordered = list(survey.questions.order_by("position", "id"))
    i, j = ordered.index(q), ordered.index(other)
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for n, item in enumerate(ordered, start=1):
        item.position = n
    Question.objects.bulk_update(ordered, ["position"])
    audit.record(
        actor, ConfigAction.UPDATE, survey, {"question_order": [q.text, "up" if up else "down"]}
    )
    return q


@transaction.atomic
def remove_question(question: Question | int, *, actor) -> None:
    survey, q = _lock_question(actor, question)
    audit.record(actor, ConfigAction.UPDATE, survey, {"question": [q.text, None]})
    q.delete()


def _move(actor, survey: Survey, to: str, stamp: str) -> Survey:
    before = survey.status
    survey.status = to
    setattr(survey, stamp, timezone.now())
    survey.save(update_fields=["status", stamp])
    audit.record(actor, ConfigAction.UPDATE, survey, {"status": [before, to]})
    return survey


@transaction.atomic
def publish(survey: Survey | int, *, actor) -> Survey:
    """发布: the link and QR code start taking answers."""
    survey = _lock(actor, survey)
    _require_builder(actor)
    _require_draft(survey)
    if not survey.questions.exists():
        raise InvalidInput(_("问卷还没有题目"), code="no_questions")
    return _move(actor, survey, SurveyStatus.OPEN, "published_at")


@transaction.atomic
def close(survey: Survey | int, *, actor) -> Survey:
    """结束收集."""
    survey = _lock(actor, survey)
    _require_builder(actor)
    if survey.status != SurveyStatus.OPEN:
        raise IllegalTransition(_("问卷不在收集中"), code="not_open")
    return _move(actor, survey, SurveyStatus.CLOSED, "closed_at")


# --- answers ---------------------------------------------------------------------------------


def _clean_answer(q: Question, raw) -> Any:
    """The stored value of one answer, or None when unanswered; InvalidInput if malformed."""
    field = f"q{q.pk}"
    if q.kind == QuestionKind.MULTIPLE:
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [str(v).strip() for v in values if str(v).strip()]
        if any(v not in q.options for v in values):
            raise InvalidInput(_("选项不正确"), code="invalid_choice", field=field)
        return [o for o in q.options if o in values] or None
    value = str(raw[0] if isinstance(raw, list | tuple) and raw else raw or "").strip()
    if not value:
        return None
    if q.kind == QuestionKind.SINGLE:
        if value not in q.options:
            raise InvalidInput(_("选项不正确"), code="invalid_choice", field=field)
        return value
    if q.kind == QuestionKind.RATING:
        if value not in {"1", "2", "3", "4", "5"}:
            raise InvalidInput(_("请选择1-5分"), code="invalid_choice", field=field)
        return int(value)
    if len(value) > MAX_TEXT:
        raise InvalidInput(_("不能超过%(n)d个字") % {"n": MAX_TEXT}, code="too_long", field=field)
    return value


def reports_problem(q: Question, value) -> bool:
    if value is None:
        return False
    if q.kind == QuestionKind.SINGLE:
        return value in q.problem_options
    if q.kind == QuestionKind.MULTIPLE:
        return any(v in q.problem_options for v in value)
    if q.kind == QuestionKind.RATING and q.problem_rating_max is not None:
        return value <= q.problem_rating_max
    return False


def answer_lines(survey: Survey, answers: Mapping[str, Any]) -> list[tuple[Question, str]]:
    return answer_lines_for(list(survey.questions.all()), answers)


def answer_lines_for(questions, answers: Mapping[str, Any]) -> list[tuple[Question, str]]:
    out = []
    for q in questions:
        v = answers.get(str(q.pk))
        if v is None:
            continue
        out.append((q, "、".join(v) if isinstance(v, list) else str(v)))
    return out


def _register(response: Response, *, actor, note: str = "") -> None:
    survey = response.survey
    lines = [f"{q.text}：{v}" for q, v in answer_lines(survey, response.answers)]
    if note:
        lines.insert(0, note)
    detail = "\n".join([_("问卷《%(t)s》的答卷反映：") % {"t": survey.title}, *lines])
    named = bool(response.phone)
    appeal = appeal_actions.register_appeal(
        actor=actor,
        kind=KIND,
        source=response,
        channel=Channel.QUESTIONNAIRE,
        subject=(_("问卷反映：%(t)s") % {"t": survey.title})[:200],
        detail=detail[:5000],
        appellant_kind=AppellantKind.PERSON if named else AppellantKind.ANONYMOUS,
        appellant_name=response.name,
        appellant_phone=response.phone,
        grid=survey.grid,
    )
    response.appeal = appeal
    response.save(update_fields=["appeal"])


@transaction.atomic
def submit_response(
    slug: str,
    *,
    actor=None,
    answers: Mapping[str, Any],
    name: str = "",
    phone: str = "",
    ip_hash: str = "",
) -> Response:
    """答卷 (a resident, actor None). Required questions answered, choices among the options,
    name and phone where the survey asks, one answer per phone where it says so. An answer the
    rule marks as a problem becomes a work item at once (channel 问卷调查)."""
    try:
        survey = Survey.objects.select_for_update().get(slug=(slug or "").strip())
    except Survey.DoesNotExist:
        raise NotFound(_("问卷不存在"))
    if survey.status != SurveyStatus.OPEN:
        raise IllegalTransition(_("该问卷未在收集中"), code="not_open")
    name = (name or "").strip()[:40]
    phone = (phone or "").strip().replace(" ", "")
    if survey.identity == Identity.ANONYMOUS and not survey.one_per_phone:
        name, phone = "", ""
    if survey.identity == Identity.NAMED and not name:
        raise InvalidInput(_("请填写姓名"), code="required", field="name")
    if (survey.identity == Identity.NAMED or survey.one_per_phone) and not phone:
        raise InvalidInput(_("请填写手机号"), code="required", field="phone")
    if phone and not appeal_actions.PHONE_RE.match(phone):
        raise InvalidInput(_("手机号格式不正确"), code="invalid_phone", field="phone")
    values: dict[str, Any] = {}
    problem = False
    for q in survey.questions.all():
        v = _clean_answer(q, answers.get(str(q.pk)))
        if v is None:
            if q.required:
                raise InvalidInput(
                    _("请回答：%(q)s") % {"q": q.text}, code="required", field=f"q{q.pk}"
                )
            continue
        values[str(q.pk)] = v
        problem = problem or reports_problem(q, v)
    if not values:
        raise InvalidInput(_("请至少回答一题"), code="empty")
    once_key = phone if survey.one_per_phone else ""
    if once_key and Response.objects.filter(survey=survey, once_key=once_key).exists():
        raise Conflict(_("该手机号已经填写过本问卷"), code="already_answered", field="phone")
    if survey.identity == Identity.ANONYMOUS:
        name = ""
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                answers=values,
                name=name,
                phone=phone,
                once_key=once_key,
                problem=problem,
                ip_hash=ip_hash[:32],
            )
    except IntegrityError:
        raise Conflict(_("该手机号已经填写过本问卷"), code="already_answered", field="phone")
    if problem:
        _register(response, actor=None)
    return response


@transaction.atomic
def make_appeal(response: Response | int, *, actor, note: str = "") -> Response:
    """转为诉求: a staff member registers the problem an answer reports (once per answer)."""
    from .access import responses_visible_to

    pk = response.pk if isinstance(response, Response) else response
    try:
        response = (
            responses_visible_to(actor).select_for_update().select_related("survey").get(pk=pk)
        )
    except (Response.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if response.appeal_id:
        raise IllegalTransition(_("这份答卷已转为诉求"), code="already_appeal")
    note = (note or "").strip()[:500]
    _register(response, actor=actor, note=note)
    return response
