"""Every state change of the routing app. Each verb: keyword-only `actor` (a user, or None for
the system: intake hooks and management commands), one transaction, rows locked, guard checked,
and an append-only record (AppealEvent, RoutingDecision or RoutingEvent) written in the same
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import events
from minhu.appeals.access import CENTRE_ROLES, appeals_visible_to, lock_appeal
from minhu.appeals.guards import check_link, require_centre
from minhu.appeals.models import Appeal, AppealEvent
from minhu.categories.models import Category
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.core.times import local_iso
from minhu.orgs.models import HANDLING_KINDS, LEADER_ROLES, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import (
    AREA_KINDS,
    AppealLink,
    ClassifierModel,
    DecisionKind,
    DispatchRule,
    LeadLocal,
    MonthlyProblem,
    ProblemStatus,
    RoutingConfig,
    RoutingDecision,
    RoutingEvent,
    RoutingEventKind,
)

# Who sets the problem of the month (每月一题): the leadership and the units' leaders.
MONTHLY_PROBLEM_ROLES = (*LEADER_ROLES, Role.UNIT_LEADER)


def _actor_name(actor) -> str:
    return "系统" if actor is None else str(actor)


def _audit(kind: str, actor, object_id: int | None = None, **data: Any) -> RoutingEvent:
    return RoutingEvent.objects.create(
        kind=kind, actor=actor, actor_name=_actor_name(actor), object_id=object_id, data=data
    )


# --- decisions ------------------------------------------------------------------------------


@transaction.atomic
def record_decision(
    appeal: Appeal | int,
    *,
    actor=None,
    kind: str,
    proposal: dict,
    category_id: int | None = None,
    lead_unit_id: int | None = None,
    event: AppealEvent | None = None,
    corrected: bool = False,
    note: str = "",
) -> RoutingDecision:
    """Append a routing decision (proposal, automatic dispatch, confirmation or correction)."""
    if kind not in DecisionKind.values:
        raise InvalidInput(_("分拨记录类型不正确"), code="invalid_choice", field="kind")
    appeal_id = appeal.pk if isinstance(appeal, Appeal) else appeal
    return RoutingDecision.objects.create(
        appeal_id=appeal_id,
        kind=kind,
        model_version=str(proposal.get("model_version", ""))[:20],
        proposal=_jsonable(proposal),
        confidence=float(proposal.get("confidence") or 0.0),
        category_id=category_id,
        lead_unit_id=lead_unit_id,
        auto=kind == DecisionKind.AUTO,
        corrected=corrected,
        event=event,
        note=note[:200],
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return local_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- links ----------------------------------------------------------------------------------


@transaction.atomic
def link_appeals(appeal: Appeal | int, *, actor, other: Appeal | int, note: str = "") -> AppealLink:
    """关联: mark two appeals as related (handled separately, shown side by side). An event
    "link" is appended on both."""
    check_link(actor, None)  # the guard the appeal page asks too (before any lookup)
    a_id = appeal.pk if isinstance(appeal, Appeal) else int(appeal)
    b_id = other.pk if isinstance(other, Appeal) else int(other)
    if a_id == b_id:
        raise InvalidInput(_("不能关联到自身"), code="link_self")
    first, second = sorted([a_id, b_id])
    a = lock_appeal(actor, first)
    b = lock_appeal(actor, second)
    if AppealLink.objects.filter(from_appeal=a, to_appeal=b).exists():
        raise Conflict(_("这两件诉求已关联"), code="already_linked")
    note = (note or "").strip()[:200]
    link = AppealLink.objects.create(from_appeal=a, to_appeal=b, note=note, created_by=actor)
    events.link(a, actor, note, other=b, link_id=link.pk)
    events.link(b, actor, note, other=a, link_id=link.pk)
    return link


@transaction.atomic
def unlink_appeals(appeal: Appeal | int, *, actor, other: Appeal | int) -> None:
    """取消关联 (appends a "link" event with removed=True on both)."""
    check_link(actor, None)
    a_id = appeal.pk if isinstance(appeal, Appeal) else int(appeal)
    b_id = other.pk if isinstance(other, Appeal) else int(other)
    first, second = sorted([a_id, b_id])
    a = lock_appeal(actor, first)
    b = lock_appeal(actor, second)
    link = AppealLink.objects.select_for_update().filter(from_appeal=a, to_appeal=b).first()
    if link is None:
        raise NotFound(_("这两件诉求没有关联"))
    link_id = link.pk
    link.delete()
    events.link(a, actor, "", other=b, link_id=link_id, removed=True)
    events.link(b, actor, "", other=a, link_id=link_id, removed=True)


def linked_appeals(appeal: Appeal, user=None) -> list[Appeal]:
    ids = set(
        AppealLink.objects.filter(from_appeal=appeal).values_list("to_appeal_id", flat=True)
    ) | set(AppealLink.objects.filter(to_appeal=appeal).values_list("from_appeal_id", flat=True))
    qs = appeals_visible_to(user) if user is not None else Appeal.objects.all()
    return list(qs.filter(pk__in=ids).order_by("-created_at"))


# --- 每月一题 --------------------------------------------------------------------------------


@transaction.atomic
def mark_problem_of_month(
    *,
    actor,
    month: dt.date,
    title: str,
    appeal_ids: Sequence[int],
    summary: str = "",
    street: Unit | None = None,
    terms: Sequence[str] = (),
    support: int = 0,
) -> MonthlyProblem:
    """设为每月一题: a leader picks a hotspot as the problem of the month. Each appeal gets a
    "supervise" event."""
    scope = scope_of(actor)
    if actor is None or not scope.has_role(*MONTHLY_PROBLEM_ROLES):
        raise PermissionDenied(_("只有领导可以设定每月一题"))
    title = (title or "").strip()
    if not 4 <= len(title) <= 200:
        raise InvalidInput(_("题目应为4至200个字"), code="invalid_title", field="title")
    if not isinstance(month, dt.date):
        raise InvalidInput(_("月份不正确"), code="invalid_month", field="month")
    month = month.replace(day=1)
    ids = sorted({int(i) for i in appeal_ids})
    if not ids:
        raise InvalidInput(_("请至少选择一件诉求"), code="required", field="appeal_ids")
    if len(ids) > 1000:
        raise InvalidInput(_("一次最多包含1000件诉求"), code="too_many", field="appeal_ids")
    appeals = list(
        Appeal.objects.select_for_update().filter(
            pk__in=appeals_visible_to(actor).filter(pk__in=ids).values("pk")
        )
    )
    if len(appeals) != len(ids):
        raise NotFound(_("部分诉求不存在或不在您的范围内"))
    if street is not None and street.kind not in (UnitKind.STREET, UnitKind.TOWN):
        raise InvalidInput(_("所选单位不是街道或镇"), code="invalid_street", field="street")
    if MonthlyProblem.objects.filter(
        month=month, title=title, status=ProblemStatus.ACTIVE
    ).exists():
        raise Conflict(_("本月已有同名的每月一题"), code="duplicate_problem")
    volume = len(appeals) + Appeal.objects.filter(parent__in=appeals).count()
    problem = MonthlyProblem.objects.create(
        month=month,
        title=title,
        summary=(summary or "").strip()[:2000],
        street=street,
        terms=list(terms)[:10],
        volume=volume,
        support=max(0, int(support)),
        created_by=actor,
    )
    problem.appeals.set(appeals)
    for a in appeals:
        events.monthly_problem(a, actor, f"列入每月一题：{title}", problem_id=problem.pk)
    _audit(
        RoutingEventKind.PROBLEM_MARK,
        actor,
        problem.pk,
        title=title,
        month=month.isoformat(),
        appeals=ids,
    )
    return problem


@transaction.atomic
def cancel_problem_of_month(problem: MonthlyProblem | int, *, actor, reason: str = "") -> None:
    scope = scope_of(actor)
    if actor is None or not scope.has_role(*MONTHLY_PROBLEM_ROLES):
        raise PermissionDenied(_("只有领导可以撤销每月一题"))
    pk = problem.pk if isinstance(problem, MonthlyProblem) else problem
    obj = MonthlyProblem.objects.select_for_update().filter(pk=pk).first()
    if obj is None or (not scope.all_units and obj.created_by_id != actor.pk):
        raise NotFound()
    if obj.status != ProblemStatus.ACTIVE:
        raise IllegalTransition(_("该每月一题已撤销"), code="already_cancelled")
    obj.status = ProblemStatus.CANCELLED
    obj.save(update_fields=["status"])
    _audit(RoutingEventKind.PROBLEM_CANCEL, actor, obj.pk, reason=(reason or "")[:200])


# --- dispatch catalogue ---------------------------------------------------------------------


def _validate_rule_units(area, lead_unit, lead_local, assist_units) -> None:
    if area is not None and area.kind not in AREA_KINDS:
        raise InvalidInput(_("区域应为街道、镇、社区或村"), code="invalid_area", field="area")
    if lead_local not in LeadLocal.values:
        raise InvalidInput(_("属地主办选项不正确"), code="invalid_choice", field="lead_local")
    if bool(lead_unit) == bool(lead_local):
        raise InvalidInput(
            _("请指定主办单位，或选择由属地街道/社区主办（二选一）"),
            code="lead_required",
            field="lead_unit",
        )
    for u in [lead_unit, *assist_units]:
        if u is not None and (not u.active or u.kind not in HANDLING_KINDS):
            raise InvalidInput(
                _("「%(unit)s」不能承办诉求") % {"unit": u.name},
                code="invalid_unit",
                field="lead_unit",
            )
    if lead_unit is not None and any(u.pk == lead_unit.pk for u in assist_units):
        raise InvalidInput(
            _("协办单位不能与主办单位相同"), code="duplicate_unit", field="assist_units"
        )


@transaction.atomic
def save_dispatch_rule(
    *,
    actor,
    category: Category,
    area: Unit | None = None,
    lead_unit: Unit | None = None,
    lead_local: str = "",
    assist_units: Sequence[Unit] = (),
    note: str = "",
    rule: DispatchRule | int | None = None,
) -> DispatchRule:
    """Create or edit a catalogue entry. One active entry per category × area."""
    require_centre(actor)
    if category is None or not category.active:
        raise InvalidInput(_("请选择启用的分类"), code="invalid_category", field="category")
    assist_units = list(dict.fromkeys(assist_units))
    _validate_rule_units(area, lead_unit, lead_local or "", assist_units)
    if rule is not None:
        pk = rule.pk if isinstance(rule, DispatchRule) else rule
        obj = DispatchRule.objects.select_for_update().filter(pk=pk).first()
        if obj is None:
            raise NotFound()
    else:
        obj = DispatchRule()
    clash = DispatchRule.objects.filter(category=category, area=area, active=True).exclude(
        pk=obj.pk
    )
    if clash.exists():
        raise Conflict(
            _("该分类在该区域已有派单规则，请编辑已有规则"), code="rule_exists", rule=clash[0].pk
        )
    before = _rule_data(obj) if obj.pk else None
    obj.category = category
    obj.area = area
    obj.lead_unit = lead_unit
    obj.lead_local = lead_local or ""
    obj.note = (note or "").strip()[:200]
    obj.active = True
    obj.updated_by = actor
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # saved concurrently by someone else
        raise Conflict(_("该分类在该区域已有派单规则，请编辑已有规则"), code="rule_exists")
    obj.assist_units.set(assist_units)
    _audit(RoutingEventKind.RULE_SAVE, actor, obj.pk, before=before, after=_rule_data(obj))
    return obj


def _rule_data(rule: DispatchRule) -> dict:
    return {
        "category": rule.category_id,
        "area": rule.area_id,
        "lead_unit": rule.lead_unit_id,
        "lead_local": rule.lead_local,
        "assist_units": sorted(rule.assist_units.values_list("pk", flat=True)) if rule.pk else [],
        "active": rule.active,
    }


@transaction.atomic
def deactivate_dispatch_rule(rule: DispatchRule | int, *, actor) -> DispatchRule:
    require_centre(actor)
    pk = rule.pk if isinstance(rule, DispatchRule) else rule
    obj = DispatchRule.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    if not obj.active:
        raise IllegalTransition(_("该规则已停用"), code="already_inactive")
    obj.active = False
    obj.updated_by = actor
    obj.save(update_fields=["active", "updated_by", "updated_at"])
    _audit(RoutingEventKind.RULE_DEACTIVATE, actor, obj.pk)
    return obj


# --- settings -------------------------------------------------------------------------------

CONFIG_FIELDS = {
    "auto_dispatch": bool,
    "threshold": float,
    "rules_may_auto_dispatch": bool,
    "duplicate_days": int,
    "duplicate_radius_m": int,
    "duplicate_min_score": float,
    "hotspot_similarity": float,
    "hotspot_min_size": int,
}
CONFIG_RANGES = {
    "threshold": (0.0, 1.0),
    "duplicate_days": (1, 365),
    "duplicate_radius_m": (10, 50_000),
    "duplicate_min_score": (0.0, 1.0),
    "hotspot_similarity": (0.05, 0.95),
    "hotspot_min_size": (2, 1000),
}


@transaction.atomic
def update_config(*, actor, **fields: Any) -> RoutingConfig:
    """Change the routing settings (auto-dispatch threshold, duplicate and hotspot settings)."""
    if actor is not None and not scope_of(actor).has_role(Role.ADMIN, Role.DISPATCHER):
        raise PermissionDenied(_("只有调度中心或系统管理员可以修改分拨设置"))
    unknown = set(fields) - set(CONFIG_FIELDS)
    if unknown:
        raise InvalidInput(_("未知的设置项"), code="unknown_field", fields=sorted(unknown))
    RoutingConfig.objects.get_or_create(pk=1)
    config = RoutingConfig.objects.select_for_update().get(pk=1)
    changes = {}
    for name, value in fields.items():
        if value is not None:
            try:
                value = CONFIG_FIELDS[name](value)
            except (TypeError, ValueError):
                raise InvalidInput(_("设置值格式不正确"), code="invalid", field=name)
            lo, hi = CONFIG_RANGES.get(name, (None, None))
            if lo is not None and not lo <= value <= hi:
                raise InvalidInput(
                    _("取值应在%(lo)s至%(hi)s之间") % {"lo": lo, "hi": hi},
                    code="out_of_range",
                    field=name,
                )
        elif name != "threshold":
            continue
        old = getattr(config, name)
        if old != value:
            changes[name] = [old, value]
            setattr(config, name, value)
    if changes:
        config.updated_by = actor
        config.save(update_fields=[*changes, "updated_by", "updated_at"])
        _audit(RoutingEventKind.CONFIG, actor, 1, changes=changes)
    return config


# --- models ---------------------------------------------------------------------------------


@transaction.atomic
def store_model(
    *,
    actor,
    blob: bytes,
    labels: Sequence[str],
    params: dict,
    evaluation: dict,
    trained_on: str,
    n_samples: int,
    activate: bool = True,
) -> ClassifierModel:
    """Store a trained classifier (next version number) and, by default, activate it."""
    require_centre(actor)
    if not blob:
        raise InvalidInput(_("模型为空"), code="empty_model")
    last = ClassifierModel.objects.select_for_update().order_by("-version").first()
    model = ClassifierModel.objects.create(
        version=(last.version + 1) if last else 1,
        created_by=actor,
        labels=[str(x) for x in labels],
        params=_jsonable(params or {}),
        evaluation=_jsonable(evaluation or {}),
        trained_on=trained_on[:200],
        n_samples=n_samples,
        blob=blob,
        size=len(blob),
    )
    _audit(
        RoutingEventKind.TRAIN,
        actor,
        model.pk,
        version=model.version,
        trained_on=model.trained_on,
        n_samples=n_samples,
        macro_f1=(evaluation or {}).get("macro_f1"),
    )
    if activate:
        activate_model(model, actor=actor)
        model.refresh_from_db(fields=["active", "activated_at"])
    return model


@transaction.atomic
def activate_model(model: ClassifierModel | int, *, actor) -> ClassifierModel:
    require_centre(actor)
    pk = model.pk if isinstance(model, ClassifierModel) else model
    obj = ClassifierModel.objects.select_for_update().defer("blob").filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    if obj.active:
        raise IllegalTransition(_("该模型已启用"), code="already_active")
    previous = list(
        ClassifierModel.objects.select_for_update()
        .filter(active=True)
        .values_list("version", flat=True)
    )
    ClassifierModel.objects.filter(active=True).update(active=False)
    obj.active = True
    obj.activated_at = timezone.now()
    obj.save(update_fields=["active", "activated_at"])
    _audit(RoutingEventKind.ACTIVATE, actor, obj.pk, version=obj.version, previous=previous)
    return obj


@transaction.atomic
def deactivate_models(*, actor) -> None:
    """Stop using any model: proposals come from the keyword rules again."""
    require_centre(actor)
    versions = list(
        ClassifierModel.objects.select_for_update()
        .filter(active=True)
        .values_list("version", flat=True)
    )
    if not versions:
        raise IllegalTransition(_("当前没有启用的模型"), code="no_active_model")
    ClassifierModel.objects.filter(active=True).update(active=False)
    _audit(RoutingEventKind.DEACTIVATE, actor, None, versions=versions)


def can_lead(user) -> bool:
    return scope_of(user).has_role(*MONTHLY_PROBLEM_ROLES)


def is_centre(user) -> bool:
    return scope_of(user).has_role(*CENTRE_ROLES)
