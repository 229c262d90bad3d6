"""Scoped reads of campaigns: who may manage a campaign (see its coverage and ledgers) and
which households a visitor has. Anything outside is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from minhu.core.errors import NotFound
from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of

from .models import Assignment, Campaign

# Leaders of the organising or a participating unit read the campaign's coverage and ledgers.
MANAGER_ROLES = (Role.ADMIN, Role.UNIT_LEADER)


def managed_campaigns(user) -> QuerySet[Campaign]:
    """Campaigns whose coverage and ledgers the user may read: district-wide roles all; a
    unit's staff those their unit organises or takes part in."""
    scope = scope_of(user)
    if scope.all_units:
        return Campaign.objects.all()
    units = scope.acting_units(*MANAGER_ROLES)
    if not units:
        return Campaign.objects.none()
    return Campaign.objects.filter(Q(owner_unit_id__in=units) | Q(units__in=units)).distinct()


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    """Managed campaigns plus those in which the user visits households."""
    mine = Assignment.objects.filter(visitor=user).values("campaign_id")
    return Campaign.objects.filter(
        Q(pk__in=managed_campaigns(user).values("pk")) | Q(pk__in=mine)
    ).distinct()


def access_campaign(user, campaign_id: int, *, manage: bool = False) -> Campaign:
    qs = managed_campaigns(user) if manage else campaigns_visible_to(user)
    campaign = qs.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("走访活动不存在")
    return campaign


def can_manage(user, campaign: Campaign) -> bool:
    return managed_campaigns(user).filter(pk=campaign.pk).exists()


def my_assignments(user, campaign: Campaign) -> QuerySet[Assignment]:
    return Assignment.objects.filter(campaign=campaign, visitor=user)


def access_assignment(user, campaign: Campaign, household_id: int) -> Assignment:
    """The household's assignment in the campaign, for recording a visit: its visitor, or
    another visitor of the same grid in this campaign (a second visitor: kept and flagged)."""
    asg = (
        Assignment.objects.select_related("household", "visitor", "grid")
        .filter(campaign=campaign, household_id=household_id)
        .first()
    )
    if asg is None:
        raise NotFound("该住户不在本次走访范围内")
    if asg.visitor_id == user.pk:
        return asg
    if Assignment.objects.filter(campaign=campaign, visitor=user, grid_id=asg.grid_id).exists():
        return asg
    raise NotFound("该住户不在本次走访范围内")


def may_send_problem(actor, problem) -> bool:
    """The `visit_problem` kind's registration rule (`WorkKind.may_register`): the visitor who
    recorded the visit may send its problem into the loop whatever their staff role, once, for
    a problem marked to be registered (not solved on the spot)."""
    from .models import Resolution

    return (
        getattr(actor, "is_active", False)
        and problem.visit.visitor_id == actor.pk
        and problem.resolution == Resolution.APPEAL
        and problem.appeal_id is None
    )
