"""Every state change of door-to-door visits, as verbs: keyword-only `actor`, one transaction,
the row locked, the guard checked, `update_fields`, a `CampaignEvent` row written.

A problem found on a visit is either solved on the spot (recorded, counted) or registered as a
work item of kind `visit_problem` through `appeals.actions.register_appeal`, so it gets the
loop's deadlines, dispatch, reply, follow-up and rating."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.attachments import check_total, prepare_image
from minhu.core import audit
from minhu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import Membership, Role, Unit, UnitKind
from minhu.orgs.scope import scope_of
from minhu.registry.models import CadreLink, CadreTier, Household

from . import access
from .models import (
    DEFAULT_BENEFITS,
    DEFAULT_QUESTIONS,
    DEFAULT_STEPS,
    REACHED,
    Assignment,
    AssignmentState,
    Campaign,
    CampaignEvent,
    CampaignStatus,
    Outcome,
    ProblemDomain,
    Resolution,
    SatisfactionDomain,
    Visit,
    VisitPhoto,
    VisitProblem,
)

MAX_PROBLEMS = 10
MAX_PHOTOS = 3


def _event(campaign: Campaign, kind: str, actor, **data) -> None:
    CampaignEvent.objects.create(campaign=campaign, kind=kind, actor=actor, data=data)


def _lines(values, field: str, label: str, max_items: int = 20) -> list[str]:
    items = [str(v).strip() for v in (values or []) if str(v).strip()]
    if len(items) > max_items:
        raise InvalidInput(
            _("%(label)s最多%(n)d项") % {"label": label, "n": max_items}, field=field
        )
    if any(len(v) > 100 for v in items):
        raise InvalidInput(_("%(label)s每项不超过100字") % {"label": label}, field=field)
    return items


def check_manage(actor, campaign: Campaign | None = None, owner_unit: Unit | None = None) -> None:
    """The guard of the campaign configuration verbs: an admin, or a leader/handler of the
    organising unit (street/town or district)."""
    scope = scope_of(actor)
    if scope.has_role(Role.ADMIN) and scope.all_units:
        return
    unit = owner_unit or (campaign.owner_unit if campaign else None)
    if unit is None or not (scope.roles_in(unit.pk) & {Role.UNIT_LEADER, Role.HANDLER}):
        raise PermissionDenied(_("您无权管理该走访活动"))


# --- configuration ------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    *,
    actor,
    name: str,
    owner_unit: Unit,
    starts_on: dt.date,
    ends_on: dt.date,
    grids: Sequence[Unit],
    units: Sequence[Unit] = (),
    tiers: Sequence[str] = (),
    steps: Sequence[str] | None = None,
    questions: Sequence[str] | None = None,
    benefits: Sequence[str] | None = None,
) -> Campaign:
    """发起走访活动."""
    check_manage(actor, owner_unit=owner_unit)
    name = (name or "").strip()
    if not 2 <= len(name) <= 100:
        raise InvalidInput(_("活动名称为2至100字"), code="invalid_name", field="name")
    if not starts_on or not ends_on or ends_on < starts_on:
        raise InvalidInput(_("结束日期不能早于开始日期"), code="invalid_period", field="ends_on")
    grids = list(grids)
    if not grids:
        raise InvalidInput(_("请选择走访网格"), code="required", field="grids")
    if any(g.kind != UnitKind.GRID for g in grids):
        raise InvalidInput(_("所选单位不是网格"), code="invalid_grid", field="grids")
    if owner_unit.kind != UnitKind.DISTRICT and any(
        not g.path.startswith(owner_unit.path) for g in grids
    ):
        raise InvalidInput(_("网格不在组织单位辖区内"), code="invalid_grid", field="grids")
    bad = set(tiers) - set(CadreTier.values)
    if bad:
        raise InvalidInput(_("层级不正确"), code="invalid_choice", field="tiers")
    campaign = Campaign.objects.create(
        name=name,
        owner_unit=owner_unit,
        starts_on=starts_on,
        ends_on=ends_on,
        status=CampaignStatus.ACTIVE,
        tiers=list(tiers),
        steps=_lines(DEFAULT_STEPS if steps is None else steps, "steps", _("走访步骤")),
        questions=_lines(
            DEFAULT_QUESTIONS if questions is None else questions, "questions", _("必问问题")
        ),
        benefits=_lines(
            DEFAULT_BENEFITS if benefits is None else benefits, "benefits", _("惠民实事")
        ),
        created_by=actor,
    )
    campaign.grids.set(grids)
    campaign.units.set(list(units))
    _event(campaign, "create", actor, name=name, grids=[g.pk for g in grids])
    return campaign


@transaction.atomic
def set_campaign_status(campaign: Campaign | int, *, actor, status: str) -> Campaign:
    campaign = _lock_campaign(campaign)
    check_manage(actor, campaign)
    if status not in CampaignStatus.values:
        raise InvalidInput(_("状态不正确"), code="invalid_choice", field="status")
    old = campaign.status
    campaign.status = status
    campaign.save(update_fields=["status"])
    _event(campaign, "status", actor, old=old, new=status)
    return campaign


def _lock_campaign(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    found = Campaign.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("走访活动不存在"))
    return found


@dataclass
class AssignResult:
    assigned: int = 0
    already: int = 0
    # Households in the campaign's grids with no current cadre link (in the campaign's tiers).
    unlinked: list[int] = field(default_factory=list)


@transaction.atomic
def assign_households(campaign: Campaign | int, *, actor) -> AssignResult:
    """分户: give every active household of the campaign's grids to one visitor, by default
    the cadre linked to it (联户, restricted to the campaign's tiers when set). Households
    already assigned keep their visitor; the unique constraint makes each household's
    assignment exactly once. Households without a linked cadre are reported."""
    campaign = _lock_campaign(campaign)
    check_manage(actor, campaign)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("走访活动已结束"), code="campaign_closed")
    grid_ids = list(campaign.grids.values_list("pk", flat=True))
    taken = set(Assignment.objects.filter(campaign=campaign).values_list("household_id", flat=True))
    links = CadreLink.objects.filter(
        household__grid_id__in=grid_ids, household__active=True, ended_at__isnull=True
    )
    if campaign.tiers:
        links = links.filter(tier__in=campaign.tiers)
    by_household = {
        hh: (cadre, unit, tier, grid)
        for hh, cadre, unit, tier, grid in links.values_list(
            "household_id", "cadre_id", "unit_id", "tier", "household__grid_id"
        )
    }
    result = AssignResult(already=len(taken))
    rows = []
    for hh_id in Household.objects.filter(grid_id__in=grid_ids, active=True).values_list(
        "pk", flat=True
    ):
        if hh_id in taken:
            continue
        link = by_household.get(hh_id)
        if link is None:
            result.unlinked.append(hh_id)
            continue
        cadre, unit, tier, grid = link
        rows.append(
            Assignment(
                campaign=campaign,
                household_id=hh_id,
                grid_id=grid,
                visitor_id=cadre,
                unit_id=unit,
                tier=tier,
            )
        )
    Assignment.objects.bulk_create(rows, batch_size=2000)
    result.assigned = len(rows)
    _event(
        campaign,
        "assign",
        actor,
        assigned=result.assigned,
        already=result.already,
        unlinked=len(result.unlinked),
    )
    return result


def _visitor_unit(visitor) -> Unit:
    m = (
        Membership.objects.filter(user=visitor, active=True)
        .select_related("unit")
        .order_by("id")
        .first()
    )
    if m is None:
        raise InvalidInput(_("该人员没有所属单位"), code="no_unit", field="visitor")
    return m.unit


@transaction.atomic
def move_assignment(
    campaign: Campaign | int, *, actor, household_ids: Sequence[int], visitor
) -> int:
    """调整分户: give households (assigned or not yet) to another visitor. Returns how many
    rows changed or were created."""
    campaign = _lock_campaign(campaign)
    check_manage(actor, campaign)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(_("走访活动已结束"), code="campaign_closed")
    if not getattr(visitor, "is_active", False):
        raise InvalidInput(_("走访人不可用"), code="invalid_visitor", field="visitor")
    unit = _visitor_unit(visitor)
    grid_ids = set(campaign.grids.values_list("pk", flat=True))
    households = list(
        Household.objects.filter(pk__in=list(household_ids), active=True).only("pk", "grid_id")
    )
    if len(households) != len(set(household_ids)) or any(
        h.grid_id not in grid_ids for h in households
    ):
        raise InvalidInput(
            _("住户不在本次走访范围内"), code="invalid_household", field="households"
        )
    existing = {
        a.household_id: a
        for a in Assignment.objects.select_for_update().filter(
            campaign=campaign, household_id__in=[h.pk for h in households]
        )
    }
    changed = 0
    for h in households:
        a = existing.get(h.pk)
        if a is None:
            Assignment.objects.create(
                campaign=campaign, household=h, grid_id=h.grid_id, visitor=visitor, unit=unit
            )
            changed += 1
        elif a.visitor_id != visitor.pk:
            a.visitor = visitor
            a.unit = unit
            a.tier = ""
            a.save(update_fields=["visitor", "unit", "tier"])
            changed += 1
    _event(campaign, "move", actor, households=[h.pk for h in households], visitor=visitor.pk)
    return changed


@transaction.atomic
def update_domain(domain: ProblemDomain | SatisfactionDomain, *, actor, **changes):
    """Edit a problem domain (name, satisfaction, active, order) or a satisfaction domain
    (name, lead_unit: the department keeping its ledger). Admins only; audited."""
    scope = scope_of(actor)
    if not (scope.has_role(Role.ADMIN) and scope.all_units):
        raise PermissionDenied(_("只有系统管理员可以修改领域设置"))
    domain = audit.lock(type(domain), domain)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not 1 <= len(changes["name"]) <= 40:
            raise InvalidInput(_("名称为1至40字"), code="invalid_name", field="name")
    lead = changes.get("lead_unit")
    if lead is not None and lead.kind not in (UnitKind.DEPARTMENT, UnitKind.CENTER):
        raise InvalidInput(_("牵头单位须为区直部门"), code="invalid_unit", field="lead_unit")
    audit.save_changes(actor, domain, list(changes), changes)
    return domain


# --- the visit ----------------------------------------------------------------------------


@dataclass
class ProblemInput:
    domain: ProblemDomain | int | str
    text: str
    on_spot: bool
    solution: str = ""
    photos: Sequence = ()


def _problem_text(text: str) -> str:
    text = (text or "").strip()
    if not 5 <= len(text) <= 1000:
        raise InvalidInput(_("问题描述为5至1000字"), code="invalid_text", field="problems")
    return text


def _domain(value) -> ProblemDomain:
    if isinstance(value, ProblemDomain):
        found = value
    else:
        q = Q(code=value) if not str(value).isdigit() else Q(pk=int(value))
        found = ProblemDomain.objects.filter(q, active=True).first()
    if found is None or not found.active:
        raise InvalidInput(_("问题领域不正确"), code="invalid_domain", field="problems")
    return found


@dataclass
class RecordResult:
    visit: Visit
    created: bool


def record_visit(
    *,
    actor,
    client_id: uuid.UUID | str,
    campaign: Campaign | int,
    household_id: int,
    outcome: str,
    answers: dict | None = None,
    leaflets: int = 0,
    benefits: Sequence[str] = (),
    note: str = "",
    visited_at: dt.datetime | None = None,
    problems: Sequence[ProblemInput] = (),
) -> RecordResult:
    """记录走访. Idempotent by `client_id` (made on the phone before the visit was queued): a
    retried upload returns the visit it made the first time and creates nothing."""
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise InvalidInput(_("记录编号不正确"), code="invalid_client_id", field="client_id")
    existing = Visit.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _same_visit(existing, actor)
    try:
        return _record_visit(
            actor=actor,
            client_id=client_id,
            campaign=campaign,
            household_id=household_id,
            outcome=outcome,
            answers=answers,
            leaflets=leaflets,
            benefits=benefits,
            note=note,
            visited_at=visited_at,
            problems=problems,
        )
    except IntegrityError:
        # A concurrent upload of the same visit won the unique key.
        existing = Visit.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _same_visit(existing, actor)


def _same_visit(visit: Visit, actor) -> RecordResult:
    if visit.visitor_id != actor.pk:
        raise Conflict(_("该记录编号已被使用"), code="client_id_taken")
    return RecordResult(visit=visit, created=False)


@transaction.atomic
def _record_visit(
    *,
    actor,
    client_id,
    campaign,
    household_id,
    outcome,
    answers,
    leaflets,
    benefits,
    note,
    visited_at,
    problems,
) -> RecordResult:
    campaign_id = campaign.pk if isinstance(campaign, Campaign) else campaign
    campaign = access.access_campaign(actor, campaign_id)
    asg = access.access_assignment(actor, campaign, household_id)
    asg = Assignment.objects.select_for_update().select_related("household").get(pk=asg.pk)
    check_record(actor, campaign, asg)
    if outcome not in Outcome.values:
        raise InvalidInput(_("请选择走访结果"), code="invalid_outcome", field="outcome")
    now = timezone.now()
    visited_at = visited_at or now
    if visited_at > now + dt.timedelta(minutes=10):
        raise InvalidInput(_("走访时间不能晚于现在"), code="invalid_time", field="visited_at")
    try:
        leaflets = int(leaflets or 0)
    except (TypeError, ValueError):
        leaflets = -1
    if not 0 <= leaflets <= 100:
        raise InvalidInput(_("宣传彩页份数为0至100"), code="invalid_leaflets", field="leaflets")
    clean_answers = {}
    for q, a in (answers or {}).items():
        if q in campaign.questions and str(a).strip():
            clean_answers[q] = str(a).strip()[:300]
    benefits = [b for b in benefits if b in campaign.benefits]
    note = (note or "").strip()[:500]
    if len(problems) > MAX_PROBLEMS:
        raise InvalidInput(_("一次最多记录10个问题"), code="too_many_problems", field="problems")
    if problems and outcome != Outcome.VISITED:
        raise InvalidInput(
            _("只有入户走访才能记录问题"), code="problems_need_visit", field="problems"
        )
    checked = []
    for p in problems:
        domain = _domain(p.domain)
        text = _problem_text(p.text)
        solution = (p.solution or "").strip()[:500]
        if p.on_spot and len(solution) < 2:
            raise InvalidInput(
                _("当场解决的问题请填写解决情况"), code="solution_required", field="problems"
            )
        photos = list(p.photos or ())
        if len(photos) > MAX_PHOTOS:
            raise InvalidInput(_("每个问题最多3张照片"), code="too_many_photos", field="photos")
        check_total(photos)
        checked.append((p, domain, text, solution, [prepare_image(f) for f in photos]))
    household = asg.household
    others = Visit.objects.filter(campaign=campaign, household=household).exclude(visitor=actor)
    conflict = others.exists()
    visit = Visit.objects.create(
        client_id=client_id,
        campaign=campaign,
        household=household,
        assignment=asg,
        grid_id=asg.grid_id,
        visitor=actor,
        outcome=outcome,
        answers=clean_answers,
        leaflets=leaflets,
        benefits=benefits,
        note=note,
        visited_at=visited_at,
        conflict=conflict,
    )
    if conflict:
        for other in others.select_for_update().filter(conflict=False):
            other.conflict = True
            other.save(update_fields=["conflict"])
    # The assignment's state: reached households stay reached; not-home comes back.
    fields = ["visit_count", "last_outcome"]
    asg.visit_count += 1
    asg.last_outcome = outcome
    if outcome in REACHED:
        if asg.state != AssignmentState.DONE:
            asg.state = AssignmentState.DONE
            asg.done_at = visited_at
            fields += ["state", "done_at"]
    elif asg.state == AssignmentState.TODO:
        asg.state = AssignmentState.AGAIN
        fields.append("state")
    asg.save(update_fields=fields)
    made = []
    for p, domain, text, solution, images in checked:
        problem = VisitProblem.objects.create(
            visit=visit,
            campaign=campaign,
            grid_id=asg.grid_id,
            domain=domain,
            text=text,
            resolution=Resolution.ON_SPOT if p.on_spot else Resolution.APPEAL,
            solution=solution if p.on_spot else "",
        )
        for img in images:
            VisitPhoto.objects.create(
                problem=problem, file=img.file, content_type=img.content_type, size=img.size
            )
        if not p.on_spot:
            item = appeal_actions.register_appeal(
                actor=actor,
                kind="visit_problem",
                source=problem,
                channel="visit",
                subject=f"【入户走访·{domain.name}】{text[:60]}",
                detail=f"{text}\n（{campaign.name}，{household.address}）",
                appellant_name=household.head_name,
                appellant_phone=household.phone,
                address=household.address,
                grid=asg.grid,
                attachments=list(p.photos or ()),  # the handler sees the photos too
            )
            problem.appeal = item
            problem.save(update_fields=["appeal"])
        made.append(problem.pk)
    _event(
        campaign,
        "visit",
        actor,
        visit=visit.pk,
        household=household.pk,
        outcome=outcome,
        problems=made,
        conflict=conflict,
    )
    return RecordResult(visit=visit, created=True)


def check_record(actor, campaign: Campaign, asg: Assignment) -> None:
    """The guard of record_visit (pages ask it too): an active campaign within its period."""
    if campaign.status != CampaignStatus.ACTIVE:
        raise Conflict(_("走访活动未在进行中"), code="campaign_not_active")
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("账号已停用"))
