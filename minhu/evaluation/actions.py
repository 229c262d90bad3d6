"""Every state change of the accountability side. Each verb: keyword-only `actor` (a user, or
None for the system: commands and scheduled jobs), one transaction, the row locked, its guard
checked, saved with update_fields, and an append-only EvaluationEvent (and, for appeals, an
AppealEvent) written in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.appeals import events
from minhu.appeals.access import access_appeal
from minhu.appeals.models import (
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    FollowUp,
    Satisfaction,
    Status,
)
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.core.times import local_iso
from minhu.deadlines.calendar import add_working_days
from minhu.orgs.models import LEADER_ROLES, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from . import aggregates, evaluations, figures, promises, rankings
from .access import can_cancel_supervision
from .config import active_config
from .models import (
    DepartmentReview,
    EvaluationConfig,
    EvaluationEvent,
    HarmfulConduct,
    Interview,
    InterviewSource,
    InterviewStatus,
    ListKind,
    NegativeIndicator,
    Nomination,
    NominationStatus,
    RankingGroup,
    RankingSnapshot,
    RedBlackRule,
    RuleType,
    Supervision,
    SupervisionStatus,
)
from .periods import Period, current_period

# Who nominates for the red/black lists: the leadership and the dispatch centre.
NOMINATE_ROLES = (*LEADER_ROLES, Role.DISPATCHER)


# --- helpers --------------------------------------------------------------------------------


def _name(actor) -> str:
    return "系统" if actor is None else str(actor)


def _log(
    kind: str, target, actor, *, unit_id: int | None = None, note: str = "", **data: Any
) -> EvaluationEvent:
    return EvaluationEvent.objects.create(
        kind=kind,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "pk", None),
        unit_id=unit_id,
        actor=actor,
        actor_name=_name(actor),
        note=note,
        data=data,
    )


def _stored_language():
    """Texts kept in the database (interview and nomination reasons, event notes) are written
    in the default language (Chinese), whatever the language of the request that made them."""
    return translation.override(settings.LANGUAGE_CODE)


def _require(actor, *roles: str, message: str | None = None) -> None:
    """actor None is the system (commands); everyone else needs one of the roles."""
    if actor is None:
        return
    if not scope_of(actor).has_role(*roles):
        raise PermissionDenied(message or _("您无权执行此操作"))


def _text(value: str | None, field: str, label: str, *, min_len: int = 2, max_len: int = 5000):
    value = (value or "").strip()
    if len(value) < min_len:
        raise InvalidInput(
            _("请填写%(label)s（至少%(min)d个字）") % {"label": label, "min": min_len},
            code="required",
            field=field,
        )
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s不能超过%(max)d个字") % {"label": label, "max": max_len},
            code="too_long",
            field=field,
        )
    return value


def _lock(model, pk):
    try:
        return model.objects.select_for_update().get(pk=getattr(pk, "pk", pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _appeal_event(appeal: Appeal, actor, note: str, **data: Any) -> AppealEvent:
    """督办 on the appeal's timeline, through the one event writer."""
    return events.supervision(
        appeal,
        actor,
        note,
        action=data.pop("action"),
        supervision_id=data.pop("supervision"),
        **data,
    )


# --- configuration --------------------------------------------------------------------------

CONFIG_FIELDS = {
    "name",
    "weight_response",
    "weight_solved",
    "weight_satisfaction",
    "basic_weight",
    "valid_sources",
    "unreached_is_valid",
    "unknown_contact",
    "attribution",
    "roll_up",
    "period_start_day",
    "min_valid_for_ranking",
    "interview_threshold",
    "interview_bottom_n",
    "review_threshold",
    "review_negative_limit",
    "supervise_overdue_days",
    "supervision_days",
}


@transaction.atomic
def save_config(
    *, actor, config: EvaluationConfig | int | None = None, activate: bool = True, **fields: Any
) -> EvaluationConfig:
    """Create or change an evaluation configuration; with activate, it becomes the only active
    row. Validated with the model's full_clean (weights must add up to 1)."""
    _require(actor, Role.ADMIN, message=_("只有系统管理员可以修改考核规则"))
    unknown = set(fields) - CONFIG_FIELDS
    if unknown:
        raise InvalidInput(
            _("未知的设置项：%(names)s") % {"names": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if config is None:
        obj = EvaluationConfig()
        before: dict = {}
    else:
        obj = _lock(EvaluationConfig, config)
        before = obj.as_dict()
    for k, v in fields.items():
        setattr(obj, k, v)
    obj.updated_by = actor
    try:
        obj.full_clean(exclude=["active", "updated_by"])
    except ValidationError as e:
        raise InvalidInput(
            "；".join(m for msgs in e.message_dict.values() for m in msgs),
            code="invalid_config",
            fields=e.message_dict,
        )
    if activate and not obj.active:
        EvaluationConfig.objects.select_for_update().filter(active=True).update(active=False)
        obj.active = True
    elif not activate and obj.active:
        obj.active = False
    obj.save()
    _log(
        "config_saved",
        obj,
        actor,
        before=before,
        after=obj.as_dict(),
        active=obj.active,
    )
    return obj


# --- rankings -------------------------------------------------------------------------------


@transaction.atomic
def publish_ranking(
    *,
    actor,
    period: Period,
    groups: Sequence[str] = (RankingGroup.STREET, RankingGroup.DEPARTMENT),
    note: str = "",
    revise: bool = False,
    now: dt.datetime | None = None,
) -> list[RankingSnapshot]:
    """Freeze a period's rankings into published snapshots once the period has ended, and flag
    the units below the interview line. A published period is published again only as a
    revision (revise=True, with a note), which supersedes the earlier version."""
    _require(actor, *LEADER_ROLES, message=_("只有区领导或管理员可以发布排名"))
    config = active_config()
    if period.start_day != config.period_start_day:
        period = Period(period.key, config.period_start_day)
    if not period.has_ended(now):
        raise IllegalTransition(
            _("%(period)s尚未结束，不能发布排名") % {"period": period.label},
            code="period_not_ended",
            period=period.key,
        )
    if revise:
        note = _text(note, "note", _("修订说明"))
    snapshots = []
    if aggregates.covered_until() is not None:
        aggregates.refresh()  # freeze today's truth, not the last cron run's
    max_fu = FollowUp.objects.aggregate(m=Max("id"))["m"] or 0
    for group in groups:
        if group not in RankingGroup.values:
            raise InvalidInput(_("排名组不正确"), code="invalid_group", field="group")
        existing = list(
            RankingSnapshot.objects.select_for_update().filter(period=period.key, group=group)
        )
        if existing and not revise:
            raise Conflict(
                _("%(period)s%(group)s排名已发布")
                % {"period": period.label, "group": RankingGroup(group).label},
                code="already_published",
                period=period.key,
                group=group,
            )
        version = max((s.version for s in existing), default=0) + 1
        RankingSnapshot.objects.filter(period=period.key, group=group).update(superseded=True)
        snap = RankingSnapshot.objects.create(
            period=period.key,
            group=group,
            version=version,
            period_start=period.start,
            period_end=period.end,
            config=config.as_dict(),
            frozen_at=timezone.now(),
            max_follow_up_id=max_fu,
            published_by=actor,
            note=note.strip(),
        )
        rows = rankings.compute(period, group, config)
        done = figures.completion_by_unit(
            rankings.group_units(group), period.first_day, period.end_day
        )
        for r in rows:
            r.completion = done.get(r.unit_id)
        from .models import RankingRow

        RankingRow.objects.bulk_create([rankings.row_model(snap, r) for r in rows])
        _log(
            "ranking_published",
            snap,
            actor,
            note=note,
            period=period.key,
            group=group,
            version=version,
            units=len(rows),
        )
        _flag_from_ranking(snap, rows, config, actor)
        snapshots.append(snap)
    return snapshots


def _flag_from_ranking(snap: RankingSnapshot, rows, config: EvaluationConfig, actor) -> None:
    ranked = [r for r in rows if r.rank is not None]
    bottom = set()
    if config.interview_bottom_n and ranked:
        worst_ranks = sorted({r.rank for r in ranked})[-config.interview_bottom_n :]
        bottom = {r.unit_id for r in ranked if r.rank in worst_ranks and len(ranked) > 1}
    for r in ranked:
        below = r.figures.composite < config.interview_threshold
        if not below and r.unit_id not in bottom:
            continue
        reasons = []
        if below:
            reasons.append(f"综合得分{r.figures.composite}低于约谈线{config.interview_threshold}")
        if r.unit_id in bottom:
            reasons.append(f"排名第{r.rank}名（末位）")
        with _stored_language():
            group_label = snap.get_group_display()
        _flag(
            r.unit_id,
            snap.period,
            InterviewSource.RANKING,
            f"{snap.period}{group_label}排名：" + "，".join(reasons),
            r.figures.composite,
            actor,
        )


def _flag(unit_id: int, period: str, source: str, reason: str, score, actor) -> Interview | None:
    obj, created = Interview.objects.get_or_create(
        unit_id=unit_id,
        period=period,
        source=source,
        defaults={"reason": reason, "score": score, "flagged_by": actor},
    )
    if created:
        _log("interview_flagged", obj, actor, unit_id=unit_id, note=reason, period=period)
    return obj if created else None


# --- 约谈 -----------------------------------------------------------------------------------


@transaction.atomic
def flag_for_interview(
    *, actor, unit: Unit, period: Period, reason: str, source: str = InterviewSource.MANUAL
) -> Interview:
    """A leader lists a unit for 约谈 by hand."""
    _require(actor, *LEADER_ROLES, message=_("只有区领导可以安排约谈"))
    if source not in InterviewSource.values:
        raise InvalidInput(_("约谈依据不正确"), code="invalid_choice", field="source")
    reason = _text(reason, "reason", _("约谈事由"), min_len=4)
    obj = _flag(unit.pk, period.key, source, reason, None, actor)
    if obj is None:
        raise Conflict(_("该单位本期已列入约谈"), code="already_flagged")
    return obj


@transaction.atomic
def flag_evaluations(*, actor, period: Period) -> list[Interview]:
    """Flag departments below the line in 基层评机关 (either dimension) and in 企业评政府, and
    units whose service halls rate below it in 群众评服务."""
    _require(actor, *LEADER_ROLES)
    config = active_config()
    flagged = []
    for s in evaluations.department_reviews(period, config):
        reasons = []
        if s.rate is not None and s.rate < config.review_threshold:
            reasons.append(f"满意度{s.rate}低于{config.review_threshold}")
        if s.negatives >= config.review_negative_limit:
            reasons.append(f"负面清单问题{s.negatives}项")
        if reasons:
            obj = _flag(
                s.unit_id,
                period.key,
                InterviewSource.REVIEW,
                "基层评机关：" + "，".join(reasons),
                s.rate,
                actor,
            )
            flagged += [obj] if obj else []
    for source, scores, label in (
        (InterviewSource.ENTERPRISE, evaluations.enterprise_ratings(period, config), "企业评政府"),
        (InterviewSource.RESIDENT, evaluations.service_ratings(period, config), "群众评服务"),
    ):
        for s in scores:
            if s.rate is not None and s.rate < config.review_threshold:
                obj = _flag(
                    s.unit_id,
                    period.key,
                    source,
                    f"{label}：满意度{s.rate}低于{config.review_threshold}（{s.total}条评价）",
                    s.rate,
                    actor,
                )
                flagged += [obj] if obj else []
    return flagged


@transaction.atomic
def record_interview(
    interview: Interview | int,
    *,
    actor,
    held_at: dt.datetime,
    interviewer: str,
    attendees: str,
    record: str,
    promise: str,
    promise_due: dt.date | None = None,
) -> Interview:
    """约谈记录: when, who talked to whom, what was said and what the unit promised by when.
    The promise becomes the unit's work item, due at the end of the promised day
    (`promises`): a person records the talk, never the system."""
    if actor is None:
        raise PermissionDenied(_("只有区领导可以记录约谈"))
    _require(actor, *LEADER_ROLES, message=_("只有区领导可以记录约谈"))
    obj = _lock(Interview, interview)
    if obj.status != InterviewStatus.FLAGGED:
        raise IllegalTransition(_("该约谈已记录或已免于约谈"), code="interview_closed")
    if held_at is None:
        raise InvalidInput(_("请填写约谈时间"), code="required", field="held_at")
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput(_("约谈时间不能晚于现在"), code="future_time", field="held_at")
    obj.interviewer = _text(interviewer, "interviewer", _("约谈人"), max_len=100)
    obj.attendees = _text(attendees, "attendees", _("被约谈人"), max_len=200)
    obj.record = _text(record, "record", _("约谈记录"), min_len=10)
    obj.promise = _text(promise, "promise", _("整改承诺"), min_len=4, max_len=1000)
    if promise_due is None:
        raise InvalidInput(
            _("请填写承诺完成时限（公开承诺须按期兑现）"), code="required", field="promise_due"
        )
    if promise_due < timezone.localtime(held_at).date():
        raise InvalidInput(
            _("承诺完成时限不能早于约谈日期"), code="invalid_date", field="promise_due"
        )
    obj.held_at, obj.promise_due, obj.recorded_by = held_at, promise_due, actor
    obj.status = InterviewStatus.HELD
    obj.save(
        update_fields=[
            "interviewer",
            "attendees",
            "record",
            "promise",
            "held_at",
            "promise_due",
            "recorded_by",
            "status",
        ]
    )
    obj.item = _promise_item(obj, actor)
    obj.save(update_fields=["item"])
    _log(
        "interview_held",
        obj,
        actor,
        unit_id=obj.unit_id,
        note=obj.promise,
        held_at=local_iso(held_at),
        promise_due=local_iso(promise_due),
        item=obj.item_id,
    )
    return obj


def _promise_item(obj: Interview, actor) -> Appeal:
    """The promise as the unit's work item, due at the end of the promised day."""
    from minhu.appeals import actions as appeal_actions

    unit = Unit.objects.get(pk=obj.unit_id)
    with _stored_language():
        subject = promises.item_subject(unit.name)
        detail = _(
            "约谈整改承诺（%(period)s %(source)s）：%(promise)s\n承诺完成时限：%(due)s。"
        ) % {
            "period": obj.period,
            "source": obj.get_source_display(),
            "promise": obj.promise,
            "due": obj.promise_due.isoformat(),
        }
        note = _("约谈承诺事项，请按承诺时限兑现并报告")
    item = appeal_actions.register_appeal(
        actor=actor,
        kind=promises.KIND,
        source=obj,
        channel=promises.CHANNEL,
        subject=subject[:100],
        detail=detail,
    )
    appeal_actions.dispatch(item, actor=None, lead_unit=unit, note=note)
    item.refresh_from_db()
    return item


@transaction.atomic
def waive_interview(interview: Interview | int, *, actor, reason: str) -> Interview:
    _require(actor, *LEADER_ROLES, message=_("只有区领导可以免于约谈"))
    obj = _lock(Interview, interview)
    if obj.status != InterviewStatus.FLAGGED:
        raise IllegalTransition(_("该约谈已记录或已免于约谈"), code="interview_closed")
    reason = _text(reason, "reason", _("免于约谈理由"), min_len=4)
    obj.status, obj.record, obj.recorded_by = InterviewStatus.WAIVED, reason, actor
    obj.save(update_fields=["status", "record", "recorded_by"])
    _log("interview_waived", obj, actor, unit_id=obj.unit_id, note=reason)
    return obj


# --- 基层评机关 -------------------------------------------------------------------------------


@transaction.atomic
def submit_department_review(
    *,
    actor,
    department: Unit,
    period: Period,
    satisfaction: str,
    indicators: Sequence[NegativeIndicator] = (),
    comment: str = "",
    reviewer_unit: Unit | None = None,
) -> DepartmentReview:
    """A street/town rates a district department for a period (satisfaction + negative list).
    Once per period and department; the current or the last period only."""
    if actor is None:
        raise PermissionDenied(_("请登录后评价"))
    scope = scope_of(actor)
    mine = list(
        Unit.objects.filter(
            pk__in=scope.acting_units(Role.UNIT_LEADER, Role.HANDLER),
            kind__in=[UnitKind.STREET, UnitKind.TOWN],
        )
    )
    if reviewer_unit is not None:
        mine = [u for u in mine if u.pk == reviewer_unit.pk]
    if not mine:
        raise PermissionDenied(_("只有街道、镇的工作人员可以评价区直部门"))
    if len(mine) > 1:
        raise InvalidInput(_("请指定以哪个街镇的名义评价"), code="unit_required")
    reviewer = mine[0]
    if department.kind != UnitKind.DEPARTMENT or not department.active:
        raise InvalidInput(_("被评单位必须是区直部门"), code="invalid_unit", field="department")
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(_("请选择满意度"), code="required", field="satisfaction")
    cur = current_period(active_config().period_start_day)
    if period.key not in (cur.key, cur.previous.key):
        raise InvalidInput(_("只能评价本期或上一期"), code="invalid_period", field="period")
    inds = list(indicators)
    if any(not i.active for i in inds):
        raise InvalidInput(_("负面清单指标已停用"), code="invalid_indicator", field="indicators")
    if satisfaction == Satisfaction.UNSATISFIED and not inds and len(comment.strip()) < 4:
        raise InvalidInput(
            _("评为不满意时请勾选负面清单问题或填写意见"), code="reason_required", field="comment"
        )
    try:
        with transaction.atomic():
            review = DepartmentReview.objects.create(
                period=period.key,
                reviewer_unit=reviewer,
                department=department,
                satisfaction=satisfaction,
                comment=comment.strip()[:2000],
                submitted_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("本期已评价过该部门"), code="already_reviewed")
    review.indicators.set(inds)
    _log(
        "department_reviewed",
        review,
        actor,
        unit_id=department.pk,
        period=period.key,
        reviewer=reviewer.pk,
        satisfaction=satisfaction,
        indicators=[i.code for i in inds],
    )
    return review


# --- 红黑榜 ---------------------------------------------------------------------------------


@transaction.atomic
def nominate(
    *,
    actor,
    list_kind: str,
    period: Period,
    reason: str,
    unit: Unit | None = None,
    subject_name: str = "",
    conduct: HarmfulConduct | None = None,
    rule: RedBlackRule | None = None,
    evidence: dict | None = None,
) -> Nomination:
    """Propose a unit, enterprise or person for the red or black list, with a reason. A black-list
    nomination names the kind of harmful conduct."""
    _require(actor, *NOMINATE_ROLES, message=_("您无权提名红黑榜"))
    if list_kind not in ListKind.values:
        raise InvalidInput(_("榜单不正确"), code="invalid_choice", field="list_kind")
    reason = _text(reason, "reason", _("事由"), min_len=4)
    subject_name = (subject_name or (unit.name if unit else "")).strip()[:100]
    if not subject_name:
        raise InvalidInput(_("请填写对象名称"), code="required", field="subject_name")
    if list_kind == ListKind.BLACK and conduct is None:
        raise InvalidInput(_("黑榜提名须选择损害营商环境行为"), code="required", field="conduct")
    if conduct is not None and not conduct.active:
        raise InvalidInput(_("该行为类型已停用"), code="invalid_choice", field="conduct")
    existing = standing_nomination(period, unit=unit, subject_name=subject_name)
    if existing is not None and existing.list_kind == list_kind:
        raise Conflict(_("本期已有相同的提名"), code="duplicate_nomination")
    if existing is not None:
        raise Conflict(
            _("%(name)s本期已有%(list)s提名，同一期不能同时上红榜和黑榜")
            % {"name": subject_name, "list": existing.get_list_kind_display()},
            code="both_lists",
        )
    n = Nomination.objects.create(
        list_kind=list_kind,
        period=period.key,
        unit=unit,
        subject_name=subject_name,
        reason=reason,
        conduct=conduct,
        rule=rule,
        evidence=evidence or {},
        nominated_by=actor,
    )
    _log(
        "nominated",
        n,
        actor,
        unit_id=unit.pk if unit else None,
        note=reason,
        list_kind=list_kind,
        period=period.key,
        rule=rule.pk if rule else None,
    )
    return n


def standing_nomination(
    period: Period, *, unit: Unit | None = None, subject_name: str = ""
) -> Nomination | None:
    """The pending or approved nomination of this unit (or, without a unit, this named
    enterprise or person) for the period, on either list. There is at most one: a subject is on
    one list once per period (red and black exclude each other)."""
    qs = Nomination.objects.filter(
        period=period.key, status__in=[NominationStatus.PENDING, NominationStatus.APPROVED]
    )
    qs = (
        qs.filter(unit=unit)
        if unit is not None
        else qs.filter(unit=None, subject_name=subject_name)
    )
    return qs.order_by("nominated_at", "pk").first()


def _overdue_counts(period: Period) -> dict[int, int]:
    from django.db.models import Count

    from minhu.deadlines.models import DeadlineMiss

    return dict(
        DeadlineMiss.objects.filter(due_at__gte=period.start, due_at__lt=period.end)
        .exclude(unit_id=None)
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )


@transaction.atomic
def propose_from_rules(*, actor, period: Period) -> list[Nomination]:
    """Apply the active red/black rules to a period and nominate the units they pick (each
    nomination still needs approval). Rules on ranks use the period's published ranking."""
    _require(actor, *NOMINATE_ROLES, message=_("您无权提名红黑榜"))
    config = active_config()
    out: list[Nomination] = []
    with _stored_language():
        period_label = period.label
    overdue = None
    reviews = None
    matched: dict[int, dict[str, list[tuple[RedBlackRule, str, dict]]]] = {}
    for rule in RedBlackRule.objects.filter(active=True).select_related("conduct").order_by("pk"):
        picks: list[tuple[Unit | int, str, dict]] = []
        if rule.rule_type in (RuleType.RANK_TOP, RuleType.RANK_BOTTOM):
            groups = [rule.group] if rule.group else list(RankingGroup.values)
            for group in groups:
                snap = rankings.published(period, group)
                if snap is None:
                    continue
                rows = [r for r in snap.rows.all() if r.rank is not None]
                with _stored_language():
                    group_label = snap.get_group_display()
                ranks = sorted({r.rank for r in rows})
                chosen = (
                    ranks[: rule.threshold]
                    if rule.rule_type == RuleType.RANK_TOP
                    else ranks[-rule.threshold :]
                )
                for r in rows:
                    if r.rank in chosen and len(rows) > rule.threshold:
                        picks.append(
                            (
                                r.unit_id,
                                f"{period_label}{group_label}综合排名第{r.rank}名"
                                f"（综合得分{r.composite}）",
                                {
                                    "snapshot": snap.pk,
                                    "rank": r.rank,
                                    "composite": str(r.composite),
                                },
                            )
                        )
        elif rule.rule_type == RuleType.OVERDUE_AT_LEAST:
            overdue = overdue if overdue is not None else _overdue_counts(period)
            for unit_id, n in overdue.items():
                if n >= rule.threshold:
                    picks.append(
                        (
                            unit_id,
                            f"{period_label}超时{n}件（规则：≥{rule.threshold}件）",
                            {"overdue": n},
                        )
                    )
        elif rule.rule_type == RuleType.NEGATIVE_AT_LEAST:
            reviews = reviews or evaluations.department_reviews(period, config)
            for s in reviews:
                if s.negatives >= rule.threshold:
                    items = "、".join(f"{k}{v}次" for k, v in s.negative_items.items())
                    picks.append(
                        (
                            s.unit_id,
                            f"{period_label}基层评机关负面清单问题{s.negatives}项（{items}）",
                            {"negatives": s.negatives},
                        )
                    )
        for unit_id, reason, evidence in picks:
            # A rule nominates a unit once per period (a rejected nomination is not re-made).
            if Nomination.objects.filter(period=period.key, rule=rule, unit_id=unit_id).exists():
                continue
            matched.setdefault(unit_id, {}).setdefault(rule.list_kind, []).append(
                (rule, f"{rule.name}：{reason}", evidence)
            )
    # One nomination per unit and period: every rule the unit matched on that list is its
    # reason; a unit matching both lists goes on the black list only, and the nomination says
    # which red rules it also matched.
    units = Unit.objects.in_bulk(list(matched))
    for unit_id, lists in matched.items():
        unit = units.get(unit_id)
        if unit is None or standing_nomination(period, unit=unit) is not None:
            continue
        kind = ListKind.BLACK if lists.get(ListKind.BLACK) else ListKind.RED
        hits = lists[kind]
        reason = "；".join(r for _, r, _ in hits)
        evidence = {"rules": [{"rule": rule.pk, **ev} for rule, _, ev in hits]}
        if kind == ListKind.BLACK and lists.get(ListKind.RED):
            also = "；".join(r for _, r, _ in lists[ListKind.RED])
            reason += f"（同时符合红榜规则：{also}；同一期不能同时上红黑榜，按黑榜提名）"
            evidence["red_rules_matched"] = [rule.pk for rule, _, _ in lists[ListKind.RED]]
        out.append(
            nominate(
                actor=actor,
                list_kind=kind,
                period=period,
                reason=reason,
                unit=unit,
                conduct=next((rule.conduct for rule, _, _ in hits if rule.conduct), None),
                rule=hits[0][0],
                evidence=evidence,
            )
        )
    return out


@transaction.atomic
def decide_nomination(
    nomination: Nomination | int, *, actor, approve: bool, note: str = ""
) -> Nomination:
    """Approve (publish) or reject a nomination. Someone other than the nominator decides."""
    _require(actor, *LEADER_ROLES, message=_("只有区领导可以审核红黑榜"))
    n = _lock(Nomination, nomination)
    if n.status != NominationStatus.PENDING:
        raise IllegalTransition(_("该提名已审核"), code="nomination_decided")
    if actor is not None and n.nominated_by_id == actor.pk:
        raise PermissionDenied(_("提名人不能审核自己的提名"), code="self_approval")
    if not approve:
        note = _text(note, "note", _("不通过理由"), min_len=2)
    n.status = NominationStatus.APPROVED if approve else NominationStatus.REJECTED
    n.decided_by, n.decided_at, n.decision_note = actor, timezone.now(), note.strip()
    n.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _log(
        "nomination_approved" if approve else "nomination_rejected",
        n,
        actor,
        unit_id=n.unit_id,
        note=note,
    )
    return n


# --- 督办 -----------------------------------------------------------------------------------

SUPERVISE_ROLES = (Role.DISTRICT_LEADER, Role.ADMIN, Role.UNIT_LEADER)


def _supervision_due(due_at: dt.datetime | None, config: EvaluationConfig) -> dt.datetime:
    now = timezone.now()
    if due_at is None:
        return add_working_days(now, config.supervision_days)
    if due_at <= now:
        raise InvalidInput(_("督办时限须晚于现在"), code="invalid_due", field="due_at")
    return due_at


def supervision_due_from_date(value: str | None) -> dt.datetime | None:
    """A supervision deadline typed as a date (yyyy-mm-dd): that day at 17:30; None if empty."""
    from django.utils.dateparse import parse_date

    if not value:
        return None
    d = parse_date(value)
    if d is None:
        raise InvalidInput(_("督办时限格式不正确"), field="due_at")
    return timezone.make_aware(dt.datetime.combine(d, dt.time(17, 30)))


def check_supervise_appeal(actor, appeal: Appeal) -> None:
    """The guard of `supervise_appeal` on an appeal the actor may see (pages call it too): a
    leader's role, an open appeal, not already under supervision."""
    _require(actor, *SUPERVISE_ROLES, message=_("只有领导可以督办"))
    if appeal.status not in OPEN_STATUSES:
        raise IllegalTransition(_("诉求已办结，无需督办"), code="appeal_closed")
    if Supervision.objects.filter(appeal=appeal, status=SupervisionStatus.OPEN).exists():
        raise Conflict(_("该诉求已在督办中"), code="already_supervised")


@transaction.atomic
def supervise_appeal(
    appeal: Appeal | int,
    *,
    actor,
    reason: str,
    requirement: str = "",
    due_at: dt.datetime | None = None,
    auto: bool = False,
) -> Supervision:
    """督办 an appeal: a leader (within their scope) or, for long-overdue appeals, the system."""
    appeal_id = getattr(appeal, "pk", appeal)
    if actor is not None:
        _require(actor, *SUPERVISE_ROLES, message=_("只有领导可以督办"))
        appeal = access_appeal(actor, appeal_id, for_write=True)
    else:
        appeal = _lock(Appeal, appeal_id)
    check_supervise_appeal(actor, appeal)
    reason = _text(reason, "reason", _("督办事由"), min_len=4)
    config = active_config()
    unit_id = appeal.lead_unit_id or appeal.street_id
    if unit_id is None:
        unit_id = Unit.objects.filter(kind=UnitKind.DISTRICT).values_list("pk", flat=True).first()
    sup = Supervision.objects.create(
        appeal=appeal,
        unit_id=unit_id,
        reason=reason,
        requirement=requirement.strip()[:2000],
        auto=auto,
        due_at=_supervision_due(due_at, config),
        created_by=actor,
    )
    _appeal_event(
        appeal,
        actor,
        reason,
        action="open",
        supervision=sup.pk,
        auto=auto,
        due_at=local_iso(sup.due_at),
    )
    _log(
        "supervision_opened", sup, actor, unit_id=unit_id, note=reason, appeal=appeal.pk, auto=auto
    )
    return sup


@transaction.atomic
def supervise_unit(
    unit: Unit,
    *,
    actor,
    reason: str,
    requirement: str = "",
    due_at: dt.datetime | None = None,
) -> Supervision:
    """督办 a unit as a whole (e.g. after a poor ranking)."""
    _require(actor, *SUPERVISE_ROLES, message=_("只有领导可以督办"))
    if actor is not None:
        scope = scope_of(actor)
        if not scope.all_units and unit.pk not in scope.unit_ids:
            raise NotFound()
        if not scope.has_role(*LEADER_ROLES) and unit.pk in scope.acting_units(Role.UNIT_LEADER):
            raise PermissionDenied(_("不能督办本单位"))
    reason = _text(reason, "reason", _("督办事由"), min_len=4)
    sup = Supervision.objects.create(
        unit=unit,
        reason=reason,
        requirement=requirement.strip()[:2000],
        due_at=_supervision_due(due_at, active_config()),
        created_by=actor,
    )
    _log("supervision_opened", sup, actor, unit_id=unit.pk, note=reason)
    return sup


@transaction.atomic
def close_supervision(
    supervision: Supervision | int, *, actor, result: str, cancel: bool = False
) -> Supervision:
    """Close (办结) or cancel (撤销) a supervision, with what was done."""
    _require(actor, *SUPERVISE_ROLES, message=_("只有领导可以办结督办"))
    sup = _lock(Supervision, supervision)
    if actor is not None:
        scope = scope_of(actor)
        if not scope.all_units and sup.unit_id not in scope.unit_ids:
            raise NotFound()
        if cancel and not can_cancel_supervision(actor, sup):
            raise PermissionDenied(
                _("只有作出督办的层级或其上级可以撤销督办"), code="not_supervision_placer"
            )
    if sup.status != SupervisionStatus.OPEN:
        raise IllegalTransition(_("该督办已结束"), code="supervision_closed")
    sup.result = _text(result, "result", _("办理情况") if not cancel else _("撤销理由"), min_len=2)
    sup.status = SupervisionStatus.CANCELLED if cancel else SupervisionStatus.DONE
    sup.closed_at, sup.closed_by = timezone.now(), actor
    sup.save(update_fields=["result", "status", "closed_at", "closed_by"])
    if sup.appeal_id:
        appeal = Appeal.objects.select_for_update().get(pk=sup.appeal_id)
        _appeal_event(
            appeal,
            actor,
            sup.result,
            action="cancel" if cancel else "close",
            supervision=sup.pk,
        )
    _log(
        "supervision_cancelled" if cancel else "supervision_closed",
        sup,
        actor,
        unit_id=sup.unit_id,
        note=sup.result,
    )
    return sup


def auto_supervise(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Put appeals overdue by more than config.supervise_overdue_days under supervision, and
    close automatic supervisions whose appeal has since been closed. Run by `minhu supervise`."""
    config = active_config()
    now = now or timezone.now()
    limit = now - dt.timedelta(days=config.supervise_overdue_days)
    overdue = (
        Appeal.objects.filter(status__in=OPEN_STATUSES, current_due_at__lt=limit)
        .exclude(supervisions__status=SupervisionStatus.OPEN)
        .values_list("pk", "current_due_at")
    )
    opened = 0
    for pk, due in list(overdue):
        days = (now - due).days
        try:
            supervise_appeal(
                pk,
                actor=None,
                reason=f"超过办理时限{days}天，系统自动督办",
                auto=True,
            )
            opened += 1
        except (Conflict, IllegalTransition):
            continue
    closed = 0
    finished = Supervision.objects.filter(
        status=SupervisionStatus.OPEN, appeal__status__in=[Status.CLOSED, Status.MERGED]
    ).values_list("pk", flat=True)
    for pk in list(finished):
        close_supervision(pk, actor=None, result="诉求已销号，督办自动办结")
        closed += 1
    return {"opened": opened, "closed": closed}


def as_decimal(value, field: str, label: str) -> Decimal:
    try:
        return Decimal(str(value))
    except Exception:
        raise InvalidInput(
            _("%(label)s须为数字") % {"label": label}, code="invalid_number", field=field
        )
