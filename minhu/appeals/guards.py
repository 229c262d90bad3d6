"""The verbs' guards as side-effect-free functions: `check_<verb>(actor, item, state)` raises
the DomainError the verb raises when `actor` may not do it now, and returns nothing (or the
unit `actor` would act for). The verbs call them after locking; the web's `allowed_actions`
calls the same functions to decide which forms to show (web/permissions.py), so the rule is
written once. `state` carries the related rows a page has already loaded (see ItemState);
checks never write.

Input validation (texts, choices) stays in the verbs: a guard says whether the action is
open to this actor on this item now, whatever the input."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from minhu.core.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from minhu.orgs.models import (
    CENTRE_ROLES,
    FOLLOW_UP_ROLES,
    REGISTER_ROLES,
    UNIT_ROLES,
    WHISTLE_KINDS,
)
from minhu.orgs.scope import scope_of

from .kinds import PUBLIC_CHANNELS, channel_label, channel_values, kind_of, unit_staff_channels
from .models import (
    Appeal,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ExtensionRequest,
    ExtensionStatus,
    FollowUp,
    FollowUpSource,
    Status,
    Summons,
    SummonsStatus,
)

# Unreached follow-up calls after which an item may close anyway.
UNREACHED_CALLS_TO_CLOSE = 3


@dataclass
class ItemState:
    """Rows related to the item that the checks read. Pass what the page already loaded;
    anything left None is read on demand (and kept)."""

    item: Appeal
    assignments: list[Assignment] | None = None  # active ones
    extensions: list[ExtensionRequest] | None = None
    follow_ups: list[FollowUp] | None = None
    summonses: list[Summons] | None = None
    has_children: bool | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def active_assignments(self) -> list[Assignment]:
        if self.assignments is None:
            self.assignments = list(self.item.assignments.filter(active=True))
        return [a for a in self.assignments if a.active]

    def pending_extension(self) -> bool:
        if self.extensions is None:
            self.extensions = list(self.item.extensions.all())
        return any(e.status == ExtensionStatus.PENDING for e in self.extensions)

    def pending_summons(self) -> bool:
        if self.summonses is None:
            self.summonses = list(self.item.summonses.all())
        return any(s.status == SummonsStatus.PENDING for s in self.summonses)

    def current_follow_ups(self) -> list[FollowUp]:
        if self.follow_ups is None:
            self.follow_ups = list(
                FollowUp.objects.filter(appeal=self.item, round=self.item.reopen_count)
            )
        return [f for f in self.follow_ups if f.round == self.item.reopen_count]

    def all_summonses(self) -> list[Summons]:
        """Every summons of the item, newest first."""
        if self.summonses is None:
            self.summonses = list(self.item.summonses.all())
        return sorted(self.summonses, key=lambda s: -s.pk)

    def working_units(self) -> set[int]:
        """Units working on the item: claimed shares and summoned departments that reported."""
        units = {
            a.unit_id for a in self.active_assignments() if a.status == AssignmentStatus.CLAIMED
        }
        units |= {
            s.department_id
            for s in self.all_summonses()
            if s.status in (SummonsStatus.REPORTED, SummonsStatus.ANSWERED)
        }
        return units

    def children(self) -> bool:
        if self.has_children is None:
            self.has_children = Appeal.objects.filter(parent=self.item).exists()
        return self.has_children


def allows(check, *args, **kwargs) -> bool:
    """True when `check` passes (for pages: show the form)."""
    try:
        check(*args, **kwargs)
    except DomainError:
        return False
    return True


# --- shared rules ---------------------------------------------------------------------------


def require_centre(actor) -> None:
    """The dispatch centre (or the system, actor None)."""
    if actor is None:
        return
    if not scope_of(actor).has_role(*CENTRE_ROLES):
        raise PermissionDenied(_("只有调度中心可以执行此操作"))


def require_status(item: Appeal, *statuses: str, message: str | None = None) -> None:
    if item.status not in statuses:
        raise IllegalTransition(
            message
            or _("诉求当前为「%(status)s」，不能执行此操作")
            % {"status": item.get_status_display()},
            status=item.status,
        )


def require_move(item: Appeal, to: str) -> None:
    """The status move is in TRANSITIONS (the message _move raises)."""
    if not item.can_move_to(to):
        raise IllegalTransition(
            _("诉求当前为「%(status)s」，不能变为「%(target)s」")
            % {"status": item.get_status_display(), "target": Status(to).label},
            from_status=item.status,
            to_status=to,
        )


def closable(item: Appeal, state: ItemState) -> bool:
    """The one closing rule: the item's kind needs no follow-up, or the current round has a
    reached follow-up, or UNREACHED_CALLS_TO_CLOSE unanswered calls."""
    if not kind_of(item).follow_up_to_close:
        return True
    current = state.current_follow_ups()
    if any(f.reached for f in current):
        return True
    return sum(1 for f in current if not f.reached) >= UNREACHED_CALLS_TO_CLOSE


# --- the checks, one per verb ---------------------------------------------------------------


def channels_for(actor) -> list[str]:
    """The channels `actor` may register work through: residents (None) the public ones, the
    dispatch centre every one, other registering staff those declared `unit_staff`."""
    if actor is None:
        return [c for c in channel_values() if c in PUBLIC_CHANNELS]
    scope = scope_of(actor)
    if scope.has_role(*CENTRE_ROLES):
        return channel_values()
    if scope.has_role(*REGISTER_ROLES):
        return unit_staff_channels()
    return []


def check_register(actor, channel: str, kind=None, source=None) -> None:
    """受理: whether `actor` may register a work item through `channel` (web, API, apps).
    A kind may name further roles that register it through its own channel
    (extra "register_roles" and "channel": a district leader's 约谈 promise), or a rule on the
    source record (`WorkKind.may_register(actor, source)`: the visitor of a visit sends its
    problem through the kind's channel whatever their role)."""
    if channel not in channel_values():
        raise InvalidInput(_("渠道不正确"), code="invalid_choice", field="channel")
    if actor is None:
        if channel not in PUBLIC_CHANNELS:
            raise PermissionDenied(_("该渠道只能由工作人员登记"))
        return
    own = kind.extra.get("register_roles", ()) if kind is not None else ()
    if own and channel == kind.extra.get("channel") and scope_of(actor).has_role(*own):
        return
    rule = kind.may_register if kind is not None else None
    if rule is not None and source is not None and rule(actor, source):
        return
    if not scope_of(actor).has_role(*REGISTER_ROLES):
        raise PermissionDenied(_("您无权登记诉求"))
    if channel not in channels_for(actor):
        raise PermissionDenied(
            _("您不能登记「%(channel)s」渠道的诉求") % {"channel": channel_label(channel)},
            code="channel_not_allowed",
        )


def check_classify(actor, item: Appeal, state: ItemState | None = None) -> None:
    require_centre(actor)
    require_status(item, Status.NEW, Status.RETURNED, Status.DISPATCHED)


def check_dispatch(actor, item: Appeal, state: ItemState | None = None) -> None:
    require_centre(actor)
    require_move(item, Status.DISPATCHED)


def check_merge(actor, item: Appeal, state: ItemState) -> None:
    """Whether `item` may be merged into another (the parent's own rules are the verb's)."""
    require_centre(actor)
    if state.children():
        raise IllegalTransition(
            _("该诉求已有合并进来的诉求，请先处理它们"), code="merge_has_children"
        )
    require_move(item, Status.MERGED)


def check_reopen(actor, item: Appeal, state: ItemState | None = None) -> None:
    require_centre(actor)
    require_status(
        item,
        Status.RESOLVED,
        Status.REPLIED,
        message=_("只有已办理或已答复的诉求可以重办"),
    )


def check_decide_extension(
    actor, item: Appeal, state: ItemState, extension: ExtensionRequest | None = None
) -> None:
    """批准/驳回延期: the centre, on a pending request (`extension`, or any of the item's),
    while the item is being handled."""
    require_centre(actor)
    if extension is not None:
        if extension.status != ExtensionStatus.PENDING:
            raise Conflict(
                _("该延期申请%(status)s，不能再审批") % {"status": extension.get_status_display()},
                code="extension_decided",
                status=extension.status,
            )
    elif not state.pending_extension():
        raise IllegalTransition(_("没有待审批的延期申请"), code="no_pending_extension")
    require_status(
        item, Status.IN_PROGRESS, Status.ESCALATED, message=_("诉求已不在办理中，不能审批延期")
    )


def edit_refusal(item: Appeal) -> IllegalTransition | None:
    """After 销号 the record is immutable, a merged item's too once its parent was closed.
    Corrections are then appended as a leader's note (`add_note`)."""
    if item.status == Status.CLOSED or (item.status == Status.MERGED and item.closed_at):
        return IllegalTransition(
            _("诉求已销号，记录不能再修改；如需更正，请由领导追加备注"), code="closed_immutable"
        )
    return None


def check_edit(actor, item: Appeal, state: ItemState | None = None) -> None:
    """修改信息: the centre, until 销号."""
    require_centre(actor)
    refusal = edit_refusal(item)
    if refusal is not None:
        raise refusal


def check_link(actor, item: Appeal | None, state: ItemState | None = None) -> None:
    """关联 / 取消关联 (routing.actions.link_appeals): the centre, whatever the status."""
    require_centre(actor)


def require_follow_up_role(actor) -> None:
    if actor is None or not scope_of(actor).has_role(*FOLLOW_UP_ROLES):
        raise PermissionDenied(_("只有回访员或调度中心可以回访"))


def resident_rating(main: Appeal, target: Appeal) -> FollowUp | None:
    """The appellant's rating of the current round: `target` is the item the tracking code
    names, `main` the item handled for it (its parent when it was merged)."""
    return (
        FollowUp.objects.filter(
            appeal=main,
            round=main.reopen_count,
            source=FollowUpSource.RESIDENT,
            rated_appeal=None if main.pk == target.pk else target,
        )
        .order_by("-created_at")
        .first()
    )


def check_rate(main: Appeal, target: Appeal, rating: FollowUp | None | bool = False) -> None:
    """群众评价: the appellant may rate once the (main) item was answered to them, once per
    round. Pass `rating` (resident_rating) when already read; False reads it."""
    if main.status != Status.REPLIED or not target.replied_at:
        raise IllegalTransition(_("诉求答复后才能评价"), code="not_replied")
    if rating is False:
        rating = resident_rating(main, target)
    if rating is not None:
        raise IllegalTransition(_("您已评价过本次办理"), code="already_rated")


def check_follow_up(actor, item: Appeal, state: ItemState | None = None) -> None:
    require_follow_up_role(actor)
    require_status(item, Status.REPLIED, message=_("只有已答复的诉求可以回访"))


def check_close(actor, item: Appeal, state: ItemState) -> None:
    require_centre(actor)
    require_status(item, Status.REPLIED, message=_("只有已答复的诉求可以销号"))
    if not closable(item, state):
        raise IllegalTransition(
            _("尚未回访，不能销号（三次未接通可销号）"), code="follow_up_required"
        )


def acting_unit(actor, candidates, unit_id: int | None = None, roles=UNIT_ROLES) -> int:
    """The unit (among `candidates`) for which `actor` acts. PermissionDenied if none."""
    candidates = set(candidates)
    scope = scope_of(actor)
    mine = {u for u in candidates if u is not None and scope.roles_in(u) & set(roles)}
    if unit_id is not None:
        if unit_id not in mine:
            raise PermissionDenied(_("您不是该单位的承办人员"))
        return unit_id
    if not mine:
        raise PermissionDenied(_("您不是该诉求承办单位的人员"))
    if len(mine) > 1:
        raise InvalidInput(_("请指定以哪个单位的身份办理"), code="unit_required")
    return mine.pop()


def _working(item: Appeal, message: str) -> None:
    require_status(item, Status.IN_PROGRESS, Status.ESCALATED, message=message)


def check_return(actor, item: Appeal, state: ItemState) -> int:
    require_status(
        item, Status.DISPATCHED, Status.IN_PROGRESS, message=_("只有待签收或办理中的诉求可以退单")
    )
    lead = next((a for a in state.active_assignments() if a.role == AssignmentRole.LEAD), None)
    return acting_unit(actor, [lead.unit_id] if lead else [], None)


def check_request_extension(actor, item: Appeal, state: ItemState) -> int:
    _working(item, _("只有办理中的诉求可以申请延期"))
    unit = acting_unit(actor, [item.lead_unit_id], None)
    if state.pending_extension():
        raise IllegalTransition(_("已有待审批的延期申请"), code="extension_pending")
    return unit


def check_whistle(actor, item: Appeal, state: ItemState | None = None) -> int:
    _working(item, _("只有办理中的诉求可以吹哨"))
    unit = acting_unit(actor, [item.lead_unit_id], None)
    if item.lead_unit is None or item.lead_unit.kind not in WHISTLE_KINDS:
        raise PermissionDenied(_("只有街道、镇可以吹哨"), code="whistle_not_allowed")
    return unit


def check_contact(actor, item: Appeal, state: ItemState | None = None) -> int:
    require_status(item, Status.IN_PROGRESS, Status.ESCALATED)
    return acting_unit(actor, [item.lead_unit_id], None)


def check_resolve_open(actor, item: Appeal, state: ItemState | None = None) -> int:
    """Resolving is this actor's business now (the page shows the form, with a warning while
    summoned departments have not reported: check_resolve then refuses)."""
    _working(item, _("只有办理中的诉求可以办结"))
    return acting_unit(actor, [item.lead_unit_id], None)


def check_resolve(actor, item: Appeal, state: ItemState) -> int:
    unit = check_resolve_open(actor, item, state)
    if state.pending_summons():
        raise IllegalTransition(_("还有被召集部门未报到，不能办结"), code="summons_pending")
    return unit


def check_reply(actor, item: Appeal, state: ItemState | None = None) -> int:
    require_status(item, Status.RESOLVED, message=_("只有已办理的诉求可以答复"))
    return acting_unit(actor, [item.lead_unit_id], None)


def check_claim(actor, item: Appeal, state: ItemState, unit_id: int | None = None) -> Assignment:
    """签收: returns the share (active assignment) `actor` would claim."""
    require_status(
        item,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.ESCALATED,
        message=_("诉求当前为「%(status)s」，不能签收") % {"status": item.get_status_display()},
    )
    shares = {a.unit_id: a for a in state.active_assignments()}
    unit = acting_unit(actor, shares.keys(), unit_id)
    assignment = shares[unit]
    if assignment.status != AssignmentStatus.PENDING:
        raise Conflict(
            _("该工单已被签收"), code="already_claimed", claimed_by=str(assignment.claimed_by or "")
        )
    if assignment.role == AssignmentRole.LEAD:
        require_move(item, Status.IN_PROGRESS)
    return assignment


def check_progress(actor, item: Appeal, state: ItemState) -> int:
    """办理进展: a unit working on it (claimed share or reported department)."""
    require_status(item, Status.IN_PROGRESS, Status.ESCALATED)
    return acting_unit(actor, state.working_units(), None)


def check_attach(actor, item: Appeal, state: ItemState) -> int:
    """Photos: a unit working on it, or the lead unit, while the item is open."""
    if not item.is_open:
        raise IllegalTransition(_("诉求已结束，不能再上传附件"))
    return acting_unit(actor, state.working_units() | {item.lead_unit_id}, None)


def _my_summons(actor, state: ItemState, unit_id: int | None, status: str) -> Summons:
    """The actor's department's summons in `status` (the newest, if summoned more than once).
    Not summoned: PermissionDenied. Summoned, but not in that status: Conflict/IllegalTransition."""
    rows = state.all_summonses()
    scope = scope_of(actor)
    mine = {s.department_id for s in rows if scope.roles_in(s.department_id) & set(UNIT_ROLES)}
    if unit_id is not None and unit_id not in mine:
        raise PermissionDenied(_("您所在部门未被召集"))
    if not mine:
        raise PermissionDenied(_("您所在部门未被召集"))
    candidates = {unit_id} if unit_id is not None else mine
    ready = [s for s in rows if s.department_id in candidates and s.status == status]
    if len({s.department_id for s in ready}) > 1:
        raise InvalidInput(_("请指定以哪个部门的身份办理"), code="unit_required")
    if ready:
        return ready[0]
    latest = next(s for s in rows if s.department_id in candidates)
    if latest.status == SummonsStatus.CANCELLED:
        raise IllegalTransition(_("对本部门的召集已撤销"), code="summons_cancelled")
    if status == SummonsStatus.PENDING:
        raise Conflict(
            _("本部门已报到"), code="already_reported", reported_by=str(latest.reported_by or "")
        )
    if latest.status == SummonsStatus.PENDING:
        raise IllegalTransition(_("请先报到，再反馈"), code="not_reported")
    raise Conflict(_("本部门已反馈"), code="already_answered")


def check_report(actor, item: Appeal, state: ItemState, unit_id: int | None = None) -> Summons:
    """报到: returns the pending summons of the actor's department."""
    require_status(item, Status.ESCALATED, message=_("该诉求没有待报到的吹哨"))
    return _my_summons(actor, state, unit_id, SummonsStatus.PENDING)


def check_answer(actor, item: Appeal, state: ItemState, unit_id: int | None = None) -> Summons:
    """部门反馈: returns the reported summons of the actor's department."""
    require_status(item, Status.ESCALATED, Status.IN_PROGRESS, message=_("该诉求当前不能反馈"))
    return _my_summons(actor, state, unit_id, SummonsStatus.REPORTED)


def check_cancel_summons(actor, item: Appeal, state: ItemState, summons_id: int) -> Summons:
    """撤销召集: the street that blew the whistle (or the centre, or the system) withdraws a
    summons its department has not reported to. Returns that summons."""
    require_status(item, Status.ESCALATED, message=_("该诉求没有待报到的吹哨"))
    summons = next((s for s in state.all_summonses() if s.pk == summons_id), None)
    if summons is None:
        raise NotFound()
    if actor is not None:
        scope = scope_of(actor)
        if not (
            scope.has_role(*CENTRE_ROLES)
            or scope.roles_in(summons.whistle.unit_id) & set(UNIT_ROLES)
        ):
            raise PermissionDenied(_("只有吹哨的街道（乡镇）或调度中心可以撤销召集"))
    if summons.status == SummonsStatus.CANCELLED:
        raise Conflict(_("该召集已撤销"), code="already_cancelled")
    if summons.status != SummonsStatus.PENDING:
        raise IllegalTransition(_("该部门已报到，不能撤销召集"), code="already_reported")
    return summons
