"""Who may open which page, and which actions a user may take on an appeal.

`allowed_actions` asks the verbs' own guards (minhu.appeals.guards) for every action, so the
appeal page only shows forms the user can use; web/tests/test_guard_agreement.py runs every
action through both and fails when they disagree. The action itself stays the authority: a
form shown by mistake still fails there with its Chinese message."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from minhu.appeals import guards
from minhu.appeals.actions import close_refusal, follow_up_refusal, may_add_note
from minhu.appeals.models import (
    Appeal,
    Status,
    SummonsStatus,
)
from minhu.orgs.models import (
    CENTRE_ROLES,
    FOLLOW_UP_ROLES,
    OUTSIDE_KINDS,
    REGISTER_ROLES,
    UNIT_ROLES,
    Role,
    Unit,
)
from minhu.orgs.scope import Scope, scope_of

OVERVIEW_ROLES = {Role.UNIT_LEADER, Role.DISTRICT_LEADER, Role.DISPATCHER, Role.ADMIN}
HOTSPOT_ROLES = {Role.DISPATCHER, Role.DISTRICT_LEADER, Role.UNIT_LEADER, Role.ADMIN}
EVALUATION_ROLES = {Role.DISTRICT_LEADER, Role.UNIT_LEADER, Role.ADMIN}

# Page groups -> roles that may open them.
PAGE_ROLES: dict[str, set[str]] = {
    "dispatch": set(CENTRE_ROLES),
    "intake": REGISTER_ROLES,
    "workbench": UNIT_ROLES,
    "follow_up": FOLLOW_UP_ROLES,
    "overview": OVERVIEW_ROLES,
    "manage": {Role.ADMIN},
    # Pages of other apps linked from the navigation (those apps check access themselves).
    "routing": set(CENTRE_ROLES),
    "hotspots": HOTSPOT_ROLES,
    "evaluation": EVALUATION_ROLES,
    "registry": set(Role),
    "visits": {Role.ADMIN, Role.UNIT_LEADER, Role.HANDLER, Role.GRID_WORKER, Role.DISTRICT_LEADER},
    "consultation": {Role.HANDLER, Role.UNIT_LEADER, Role.DISPATCHER, Role.ADMIN},
    "deputies": {Role.DISPATCHER, Role.ADMIN, Role.DISTRICT_LEADER, Role.CALLBACK},
    "surveys": {Role.DISPATCHER, Role.ADMIN, Role.HANDLER, Role.UNIT_LEADER, Role.DISTRICT_LEADER},
    "wechat": set(Role),
    "happiness": {
        Role.DISPATCHER,
        Role.ADMIN,
        Role.HANDLER,
        Role.UNIT_LEADER,
        Role.DISTRICT_LEADER,
    },
    "services": {Role.DISPATCHER, Role.ADMIN, Role.HANDLER, Role.UNIT_LEADER, Role.DISTRICT_LEADER},
}
# Street/community pages outside parties (社会力量) take no part in: not in their menu.
NOT_FOR_OUTSIDE = {"consultation"}


def outside_only(user) -> bool:
    """Every unit the user works in is an outside party (a property company's handler)."""
    scope = scope_of(user)
    if scope.all_units or not scope.roles_by_unit:
        return False
    cached = getattr(user, "_minhu_outside_only", None)
    if cached is None:
        cached = not (
            Unit.objects.filter(pk__in=list(scope.roles_by_unit))
            .exclude(kind__in=OUTSIDE_KINDS)
            .exists()
        )
        user._minhu_outside_only = cached
    return cached


def may_open(user, page: str) -> bool:
    if page in NOT_FOR_OUTSIDE and outside_only(user):
        return False
    return scope_of(user).has_role(*PAGE_ROLES[page])


def page_required(page: str):
    """Login required, and one of the page's roles (403 otherwise)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not may_open(request.user, page):
                raise PermissionDenied(_("您无权访问此页面"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def scoped_page(may):
    """Login required; "not found" (404) for a user `may(user)` refuses and when the view
    raises the domain's NotFound: the pages of a scoped app outside the user's reach."""
    from django.http import Http404

    from minhu.core.errors import NotFound

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not may(request.user):
                raise Http404()
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404()

        return wrapped

    return decorator


def domain_page(view):
    """Login required; the domain's NotFound is a 404 page, its PermissionDenied a 403."""
    from django.http import Http404

    from minhu.core.errors import NotFound
    from minhu.core.errors import PermissionDenied as DomainPermissionDenied

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404()
        except DomainPermissionDenied as e:
            raise PermissionDenied(e.message)

    return wrapper


def unit_ids_acting(scope: Scope) -> set[int]:
    return scope.acting_units(*UNIT_ROLES)


@dataclass
class AllowedActions:
    classify: bool = False
    dispatch: bool = False
    merge: bool = False
    claim_units: list[Unit] = field(default_factory=list)
    return_appeal: bool = False
    request_extension: bool = False
    extension_pending: bool = False
    whistle: bool = False
    report_units: list[Unit] = field(default_factory=list)
    answer_units: list[Unit] = field(default_factory=list)
    # pending summonses the user may withdraw (shown in the summons table, not the panel)
    cancel_summons: list[int] = field(default_factory=list)
    progress: bool = False
    contact: bool = False
    resolve: bool = False
    summons_pending: bool = False
    reply: bool = False
    follow_up: bool = False
    close: bool = False
    reopen: bool = False
    decide_extension: bool = False
    attach: bool = False
    edit: bool = False
    note: bool = False
    link: bool = False

    @property
    def any(self) -> bool:
        return any(
            bool(getattr(self, f))
            for f in self.__dataclass_fields__
            if f not in ("extension_pending", "summons_pending", "cancel_summons")
        )


def allowed_actions(
    user,
    appeal: Appeal,
    *,
    assignments=None,
    summonses=None,
    extensions=None,
    follow_ups=None,
    has_children: bool | None = None,
) -> AllowedActions:
    """What `user` may do on `appeal` now. Pass the related rows already loaded for the page
    (active assignments, summonses, extensions, follow-ups) to avoid extra queries."""
    scope = scope_of(user)
    acts = AllowedActions()
    status = appeal.status
    if assignments is None:
        assignments = list(appeal.assignments.filter(active=True).select_related("unit"))
    else:
        assignments = [a for a in assignments if a.active]
    if summonses is None:
        summonses = list(appeal.summonses.select_related("department"))
    if extensions is None:
        extensions = list(appeal.extensions.all())
    centre = scope.has_role(*CENTRE_ROLES)

    def acts_in(unit_id) -> bool:
        return bool(scope.roles_in(unit_id) & UNIT_ROLES)

    state = guards.ItemState(
        appeal,
        assignments=assignments,
        extensions=extensions,
        follow_ups=follow_ups,
        summonses=summonses,
        has_children=has_children,
    )
    allows = guards.allows
    if centre:
        acts.classify = allows(guards.check_classify, user, appeal, state)
        acts.dispatch = allows(guards.check_dispatch, user, appeal, state)
        acts.merge = allows(guards.check_merge, user, appeal, state)
        acts.reopen = allows(guards.check_reopen, user, appeal, state)
    acts.decide_extension = allows(guards.check_decide_extension, user, appeal, state)
    acts.edit = allows(guards.check_edit, user, appeal, state)
    acts.link = allows(guards.check_link, user, appeal, state)

    for a in assignments:
        if acts_in(a.unit_id) and allows(guards.check_claim, user, appeal, state, a.unit_id):
            acts.claim_units.append(a.unit)

    in_lead = acts_in(appeal.lead_unit_id)
    working = status in (Status.IN_PROGRESS, Status.ESCALATED)
    acts.return_appeal = allows(guards.check_return, user, appeal, state)
    if in_lead and working:
        acts.extension_pending = state.pending_extension()
        acts.summons_pending = any(s.status == SummonsStatus.PENDING for s in summonses)
    acts.request_extension = allows(guards.check_request_extension, user, appeal, state)
    acts.contact = allows(guards.check_contact, user, appeal, state)
    # shown with a warning while summonses are pending (acts.summons_pending)
    acts.resolve = allows(guards.check_resolve_open, user, appeal, state)
    acts.whistle = allows(guards.check_whistle, user, appeal, state)
    acts.reply = allows(guards.check_reply, user, appeal, state)

    departments: dict[int, Unit] = {}
    for s in summonses:
        departments.setdefault(s.department_id, s.department)
    for dept_id, dept in departments.items():
        if allows(guards.check_report, user, appeal, state, dept_id):
            acts.report_units.append(dept)
        if allows(guards.check_answer, user, appeal, state, dept_id):
            acts.answer_units.append(dept)
    acts.cancel_summons = [
        s.pk for s in summonses if allows(guards.check_cancel_summons, user, appeal, state, s.pk)
    ]
    acts.progress = allows(guards.check_progress, user, appeal, state)
    acts.attach = allows(guards.check_attach, user, appeal, state)

    acts.note = may_add_note(user)
    if status == Status.MERGED:
        acts.follow_up = follow_up_refusal(appeal) is None and scope.has_role(*FOLLOW_UP_ROLES)
    else:
        acts.follow_up = allows(guards.check_follow_up, user, appeal, state)
    acts.close = allows(guards.check_close, user, appeal, state) and (
        close_refusal(appeal, follow_ups) is None
    )
    return acts


def may_close(appeal: Appeal, follow_ups=None) -> bool:
    """The closing rule of actions.close (minhu.appeals.guards.closable, and every merged
    appellant followed up: close_refusal), for the follow-up queue."""
    return (
        guards.closable(appeal, guards.ItemState(appeal, follow_ups=follow_ups))
        and close_refusal(appeal, follow_ups) is None
    )
