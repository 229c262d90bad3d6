"""Who may see which accountability pages. Anything outside a user's units is "not found"."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from minhu.core.errors import NotFound, PermissionDenied
from minhu.core.routers import MAX_ID
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .dashboard import DASHBOARD_KINDS
from .models import Interview, Supervision

LEADERS = (Role.DISTRICT_LEADER, Role.ADMIN)
CENTRE = (Role.DISTRICT_LEADER, Role.ADMIN, Role.DISPATCHER)


def is_staff_member(user) -> bool:
    return bool(scope_of(user).roles)


def require_staff(user) -> None:
    if not is_staff_member(user):
        raise PermissionDenied(_("您没有任何岗位，无法查看考核数据"))


def is_leader(user) -> bool:
    return scope_of(user).has_role(*LEADERS)


def is_centre(user) -> bool:
    return scope_of(user).has_role(*CENTRE)


def sees_district(user) -> bool:
    return scope_of(user).all_units


def visible_unit(user, unit_id: int | str | None) -> Unit:
    """A unit the user may look into (its figures drill down to its appeals), else NotFound."""
    try:
        pk = int(unit_id)
        if not 0 < pk <= MAX_ID:  # no such id (and past 2^63 the database cannot compare it)
            raise ValueError(unit_id)
        unit = Unit.objects.get(pk=pk)
    except (Unit.DoesNotExist, TypeError, ValueError):
        raise NotFound()
    scope = scope_of(user)
    if not scope.all_units and unit.pk not in scope.unit_ids:
        raise NotFound()
    return unit


def home_unit(user) -> Unit | None:
    """The unit whose dashboard a user sees by default: None (district) for district-wide roles,
    else the top-most street/town/department they belong to."""
    scope = scope_of(user)
    if scope.all_units:
        return None
    units = Unit.objects.filter(pk__in=scope.unit_ids).order_by("depth", "path")
    for u in units:
        if u.kind in DASHBOARD_KINDS:
            return u
    for u in units:
        anc = u.ancestor_of_kind(UnitKind.STREET, UnitKind.TOWN)
        if anc is not None and anc.pk in scope.unit_ids:
            return anc
    return units.first()


def supervisions_visible_to(user) -> QuerySet[Supervision]:
    scope = scope_of(user)
    qs = Supervision.objects.all()
    if not scope.all_units:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    return qs


def placing_units(sup: Supervision) -> list[Unit] | None:
    """The level that placed a supervision: None for the district (a district leader, an
    admin or the automatic sweep), else the units in which its creator leads the supervised
    unit (the unit itself or one above it)."""
    creator = sup.created_by
    if creator is None:
        return None
    scope = scope_of(creator)
    if scope.has_role(*LEADERS):
        return None
    path = sup.unit.path
    return [
        u
        for u in Unit.objects.filter(pk__in=scope.acting_units(Role.UNIT_LEADER))
        if path.startswith(u.path)
    ]


def can_cancel_supervision(user, sup: Supervision, *, placers=None) -> bool:
    """Only the level that placed a supervision, or a level above it, may cancel (撤销) it: a
    supervised unit's own leader cannot lift what the district put on it. `placers` may pass
    `placing_units(sup)` when it is already known."""
    scope = scope_of(user)
    if scope.has_role(*LEADERS):
        return True
    placers = placing_units(sup) if placers is None and sup.created_by_id else placers
    if not placers:  # placed by the district level
        return False
    mine = Unit.objects.filter(pk__in=scope.acting_units(Role.UNIT_LEADER))
    return any(p.path.startswith(u.path) for u in mine for p in placers)


def interviews_visible_to(user) -> QuerySet[Interview]:
    scope = scope_of(user)
    qs = Interview.objects.all()
    if not scope.all_units:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    return qs
