"""Scoped reads of WeChat groups. District-wide roles see every group; other staff the groups
kept on the grids and communities under their units, and a keeper their own groups (a
department sees none). A message is visible with its group; a sender's phone is masked
unless the role handles phones."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from minhu.appeals.access import PHONE_ROLES, mask_phone
from minhu.core.errors import NotFound
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import GroupMessage, GroupRecord, WechatGroup

AREA_KINDS = (UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID)
GROUP_UNIT_KINDS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.VILLAGE)
# Who keeps the register of a unit's groups: the centre anywhere; the street's, community's
# and grid's own staff on their area.
MANAGER_ROLES = (Role.HANDLER, Role.UNIT_LEADER, Role.GRID_WORKER)
READ_ROLES = (
    Role.DISPATCHER,
    Role.ADMIN,
    Role.DISTRICT_LEADER,
    Role.CALLBACK,
    Role.HANDLER,
    Role.UNIT_LEADER,
    Role.GRID_WORKER,
)


def _area_paths(user, roles=None) -> list[str]:
    """Paths of the area units (street … grid) where the user holds one of `roles` (any
    role when None)."""
    scope = scope_of(user)
    ids = scope.acting_units(*roles) if roles else set(scope.roles_by_unit)
    if not ids:
        return []
    return list(
        Unit.objects.filter(pk__in=ids, kind__in=AREA_KINDS, active=True).values_list(
            "path", flat=True
        )
    )


def _under(paths: list[str], prefix: str = "unit__") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{prefix}path__startswith": p})
    return q


def groups_visible_to(user) -> QuerySet[WechatGroup]:
    if user is None or not getattr(user, "is_authenticated", False):
        return WechatGroup.objects.none()
    scope = scope_of(user)
    if scope.all_units:
        return WechatGroup.objects.all()
    if not scope.has_role(*READ_ROLES):
        return WechatGroup.objects.none()
    return WechatGroup.objects.filter(_under(_area_paths(user)) | Q(keeper=user))


def access_group(user, pk) -> WechatGroup:
    try:
        return (
            groups_visible_to(user)
            .select_related("unit", "keeper", "community", "street", "grid")
            .get(pk=pk)
        )
    except (WechatGroup.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def messages_visible_to(user) -> QuerySet[GroupMessage]:
    return GroupMessage.objects.filter(group__in=groups_visible_to(user))


def access_message(user, pk) -> GroupMessage:
    try:
        return (
            messages_visible_to(user)
            .select_related("group", "group__unit", "appeal", "appeal__lead_unit", "duplicate_of")
            .get(pk=pk)
        )
    except (GroupMessage.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def records_visible_to(user) -> QuerySet[GroupRecord]:
    return GroupRecord.objects.filter(group__in=groups_visible_to(user))


def may_manage(user, unit: Unit) -> bool:
    """May keep the register of `unit`'s groups (add, edit, take off)."""
    scope = scope_of(user)
    if scope.has_role(Role.DISPATCHER, Role.ADMIN):
        return True
    return any(unit.path.startswith(p) for p in _area_paths(user, MANAGER_ROLES))


def may_manage_any(user) -> bool:
    scope = scope_of(user)
    return scope.has_role(Role.DISPATCHER, Role.ADMIN) or bool(_area_paths(user, MANAGER_ROLES))


def may_post(user, group: WechatGroup) -> bool:
    """May register the group's messages and records: its keeper and its managers."""
    return getattr(user, "pk", None) == group.keeper_id or may_manage(user, group.unit)


def units_for(user) -> QuerySet[Unit]:
    """The grids and communities a user may register groups on."""
    units = Unit.objects.filter(kind__in=GROUP_UNIT_KINDS, active=True).order_by("path")
    if scope_of(user).has_role(Role.DISPATCHER, Role.ADMIN):
        return units
    return units.filter(_under(_area_paths(user, MANAGER_ROLES), prefix=""))


def shown_phone(user, phone: str) -> str:
    if not phone:
        return ""
    return phone if scope_of(user).has_role(*PHONE_ROLES) else mask_phone(phone)
