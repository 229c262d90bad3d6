"""Scoped reads of the service catalogue and its orders.

- A community's (village's) staff are its front desk (导办台): they see the services that serve
  it and the orders of its residents, and place them. A street's staff see those of its
  communities; district-wide roles see everything.
- A provider (an outside party or a unit) sees its own services and the orders placed with it;
  it works the orders as work items on its workbench (the appeals loop's scope rules).
- Anything else is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from minhu.appeals.access import PHONE_ROLES
from minhu.core.errors import NotFound, PermissionDenied
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import Service, ServiceOrder

AREA_KINDS = {UnitKind.COMMUNITY, UnitKind.VILLAGE}
STREET_KINDS = {UnitKind.STREET, UnitKind.TOWN}
DESK_ROLES = {Role.HANDLER, Role.UNIT_LEADER, Role.ADMIN, Role.DISPATCHER}


def desk_areas(user) -> QuerySet[Unit] | None:
    """The communities whose front desk the user works at (None: all of them)."""
    scope = scope_of(user)
    if scope.all_units:
        return None
    ids = scope.acting_units(*DESK_ROLES)
    if scope.has_role(Role.UNIT_LEADER):
        ids |= scope.unit_ids  # a leader's whole subtree
    return Unit.objects.filter(
        Q(pk__in=ids, kind__in=AREA_KINDS) | Q(parent_id__in=ids, kind__in=AREA_KINDS),
        active=True,
    )


def is_desk(user) -> bool:
    """Front-desk staff: a role that places orders in a street, community or district-wide."""
    scope = scope_of(user)
    if not scope.has_role(*DESK_ROLES):
        return False
    if scope.all_units:
        return True
    areas = desk_areas(user)
    return areas is not None and areas.exists()


def require_desk(user) -> None:
    if user is not None and not is_desk(user):
        raise PermissionDenied(_("只有街道、社区导办台工作人员可以办理服务订单"))


def _own_units(user) -> set[int]:
    scope = scope_of(user)
    return set(scope.unit_ids) - set(scope.grid_ids)


def services_visible_to(user) -> QuerySet[Service]:
    scope = scope_of(user)
    if scope.all_units:
        return Service.objects.all()
    areas = desk_areas(user)
    q = Q(provider_id__in=_own_units(user))
    if areas is not None:
        q |= Q(areas__in=areas)
    return Service.objects.filter(pk__in=Service.objects.filter(q).values("pk"))


def orders_visible_to(user) -> QuerySet[ServiceOrder]:
    scope = scope_of(user)
    if scope.all_units:
        return ServiceOrder.objects.all()
    areas = desk_areas(user)
    q = Q(service__provider_id__in=_own_units(user), status="placed")
    if areas is not None:
        q |= Q(community__in=areas)
    return ServiceOrder.objects.filter(q)


def desk_orders(user) -> QuerySet[ServiceOrder]:
    """The orders the user's front desks answer for (not those merely placed with their unit)."""
    areas = desk_areas(user)
    if areas is None:
        return ServiceOrder.objects.all()
    return ServiceOrder.objects.filter(community__in=areas)


def access_service(user, service_id, *, for_write: bool = False) -> Service:
    qs = Service.objects.all() if user is None else services_visible_to(user)
    if for_write:
        qs = Service.objects.select_for_update(of=("self",)).filter(
            pk__in=qs.filter(pk=service_id).values("pk")
        )
    try:
        service = qs.select_related("provider").get(pk=service_id)
    except (Service.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write:
        require_desk(user)
    return service


def access_order(user, order_id, *, for_write: bool = False) -> ServiceOrder:
    """An order the user may see; for writing, one of their front desks' (locked)."""
    if user is None:
        qs = ServiceOrder.objects.all()
    else:
        qs = desk_orders(user) if for_write else orders_visible_to(user)
    if for_write:
        qs = ServiceOrder.objects.select_for_update(of=("self",)).filter(
            pk__in=qs.filter(pk=order_id).values("pk")
        )
    try:
        order = qs.select_related("service", "service__provider", "community", "item").get(
            pk=order_id
        )
    except (ServiceOrder.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write:
        require_desk(user)
    return order


def can_see_phone(user, order: ServiceOrder) -> bool:
    """The resident's number in full for the front desk of their community (who call back to
    confirm) and the phone-handling roles; masked for everyone else."""
    scope = scope_of(user)
    if scope.has_role(*PHONE_ROLES):
        return True
    return bool(scope.roles_in(order.community_id) & {Role.HANDLER, Role.UNIT_LEADER})
