"""What a user may see and do, by their memberships. Cached per request on the user object."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from .models import DISTRICT_WIDE_ROLES, Membership, Role, Unit, UnitKind

AREA_KINDS = {UnitKind.COMMUNITY, UnitKind.VILLAGE}


@dataclass
class Scope:
    """A user's reach: `all_units` is True for district-wide roles; otherwise `unit_ids` lists the
    units whose appeals they see (a leader's whole subtree, a handler's own unit)."""

    roles: set[str] = field(default_factory=set)
    all_units: bool = False
    unit_ids: set[int] = field(default_factory=set)
    # unit id -> roles held in exactly that unit
    roles_by_unit: dict[int, set[str]] = field(default_factory=dict)
    grid_ids: set[int] = field(default_factory=set)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def roles_in(self, unit_id: int | None) -> set[str]:
        return self.roles_by_unit.get(unit_id, set()) if unit_id else set()

    def acting_units(self, *roles: str) -> set[int]:
        """Units in which the user holds one of `roles`."""
        return {u for u, rs in self.roles_by_unit.items() if rs & set(roles)}


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_minhu_scope", None)
    if cached is not None:
        return cached
    scope = Scope()
    memberships = list(
        Membership.objects.filter(user=user, active=True, unit__active=True).select_related("unit")
    )
    leader_paths = []
    area_units = []  # communities/villages whose grids' appeals their staff see
    for m in memberships:
        scope.roles.add(m.role)
        scope.roles_by_unit.setdefault(m.unit_id, set()).add(m.role)
        if m.role in DISTRICT_WIDE_ROLES:
            scope.all_units = True
        elif m.role == Role.UNIT_LEADER:
            leader_paths.append(m.unit.path)
        else:
            scope.unit_ids.add(m.unit_id)
            if m.unit.kind in AREA_KINDS:
                area_units.append(m.unit_id)
            if m.role == Role.GRID_WORKER:
                scope.grid_ids.add(m.unit_id)
    if user.is_superuser:
        scope.all_units = True
        scope.roles.add(Role.ADMIN)
    if leader_paths:
        q = Q()
        for p in leader_paths:
            q |= Q(path__startswith=p)
        scope.unit_ids |= set(Unit.objects.filter(q).values_list("id", flat=True))
    if area_units:
        # A community's (village's) handlers see the appeals of its own grids, as its leader
        # does: the grid is where the work lies, even before anything is assigned to them.
        grids = Unit.objects.filter(parent_id__in=area_units, kind=UnitKind.GRID)
        scope.unit_ids |= set(grids.values_list("id", flat=True))
    user._minhu_scope = scope
    return scope


def units_visible_to(user):
    scope = scope_of(user)
    if scope.all_units:
        return Unit.objects.all()
    return Unit.objects.filter(id__in=scope.unit_ids)
