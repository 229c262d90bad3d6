"""Scoped reads of the registry. A user sees the registry of the grids under their units: a grid
worker their grid, a community/street their grids, a department the grids of the communities it
is paired with (结对, read only), district-wide roles everything. Anything else is "not found".

Who may edit (and see unmasked personal data, always with a logged reason): admins, and the
handlers, leaders and grid workers of the grid, its community or its street/town."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from minhu.core.errors import NotFound, PermissionDenied
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import Building, Estate, Household, Resident, Shop

AREA_KINDS = {UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID}
EDIT_ROLES = {Role.HANDLER, Role.UNIT_LEADER, Role.GRID_WORKER, Role.ADMIN}


def _grids_under(units: QuerySet[Unit]) -> QuerySet[Unit]:
    q = Q()
    for path in units.values_list("path", flat=True):
        q |= Q(path__startswith=path)
    if not q:
        return Unit.objects.none()
    return Unit.objects.filter(q, kind=UnitKind.GRID)


def grids_visible_to(user) -> QuerySet[Unit]:
    scope = scope_of(user)
    if scope.all_units:
        return Unit.objects.filter(kind=UnitKind.GRID)
    if not scope.unit_ids:
        return Unit.objects.none()
    cached = getattr(user, "_minhu_registry_grids", None)
    if cached is None:
        mine = Unit.objects.filter(id__in=scope.unit_ids)
        area = mine.filter(kind__in=AREA_KINDS)
        paired = Unit.objects.filter(paired_departments__in=mine.filter(kind=UnitKind.DEPARTMENT))
        ids = set(_grids_under(area).values_list("id", flat=True))
        ids |= set(_grids_under(paired).values_list("id", flat=True))
        cached = user._minhu_registry_grids = ids
    return Unit.objects.filter(id__in=cached)


def grids_editable_by(user) -> QuerySet[Unit]:
    scope = scope_of(user)
    if Role.ADMIN in scope.roles and scope.all_units:
        return Unit.objects.filter(kind=UnitKind.GRID)
    units = [u for u, roles in scope.roles_by_unit.items() if roles & EDIT_ROLES]
    area = Unit.objects.filter(id__in=units, kind__in=AREA_KINDS)
    return _grids_under(area)


def may_edit(user, grid_id: int) -> bool:
    return grids_editable_by(user).filter(id=grid_id).exists()


def households_visible_to(user) -> QuerySet[Household]:
    return Household.objects.filter(grid__in=grids_visible_to(user))


def residents_visible_to(user) -> QuerySet[Resident]:
    return Resident.objects.filter(household__grid__in=grids_visible_to(user))


def estates_visible_to(user) -> QuerySet[Estate]:
    return Estate.objects.filter(grid__in=grids_visible_to(user))


def buildings_visible_to(user) -> QuerySet[Building]:
    return Building.objects.filter(grid__in=grids_visible_to(user))


def shops_visible_to(user) -> QuerySet[Shop]:
    return Shop.objects.filter(grid__in=grids_visible_to(user))


VISIBLE = {
    "estate": estates_visible_to,
    "building": buildings_visible_to,
    "household": households_visible_to,
    "resident": residents_visible_to,
    "shop": shops_visible_to,
}


def access(user, model: str, pk, *, for_write: bool = False):
    """One registry row the user may see (and, with for_write, edit); NotFound otherwise."""
    qs = VISIBLE[model](user)
    try:
        obj = qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write and not may_edit(user, grid_of(obj)):
        raise PermissionDenied()
    return obj


def grid_of(obj) -> int:
    if isinstance(obj, Resident):
        return obj.household.grid_id
    return obj.grid_id
