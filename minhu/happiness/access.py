"""Scoped reads of the 幸福清单 and the 领办 projects, and what the public pages show.

Staff: the centre and district-wide roles see everything; a street's or community's staff the
entries of their area; a lead unit its projects. The public sees only entries not withdrawn
and projects marked public, through `public_*` (which select no personal field)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Appeal
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from .models import Listing, Project

CENTRE = (Role.DISPATCHER, Role.ADMIN)
AREA_STAFF = (Role.HANDLER, Role.UNIT_LEADER)
AREA_KINDS = (UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE)


def _area_units(user) -> set[int]:
    """Streets and communities where the user is a handler or leader."""
    ids = scope_of(user).acting_units(*AREA_STAFF)
    return set(Unit.objects.filter(pk__in=ids, kind__in=AREA_KINDS).values_list("pk", flat=True))


def may_publish(user, appeal: Appeal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if scope_of(user).has_role(*CENTRE):
        return True
    areas = _area_units(user)
    community = appeal.grid.parent_id if appeal.grid_id else None
    return bool(areas & {appeal.street_id, community} - {None}) and (
        appeals_visible_to(user).filter(pk=appeal.pk).exists()
    )


def may_read(user) -> bool:
    scope = scope_of(user)
    return scope.all_units or bool(_area_units(user)) or bool(scope.acting_units(*AREA_STAFF))


def listings_visible_to(user) -> QuerySet[Listing]:
    scope = scope_of(user)
    if scope.all_units:
        return Listing.objects.all()
    areas = _area_units(user)
    if not areas:
        return Listing.objects.none()
    return Listing.objects.filter(Q(street_id__in=areas) | Q(community_id__in=areas))


def candidates_for(user) -> QuerySet[Appeal]:
    """Solved items the user may put on the list and that are not on it."""
    from .actions import SOLVED

    qs = appeals_visible_to(user).filter(
        status__in=SOLVED, resolved_at__isnull=False, street__isnull=False
    )
    scope = scope_of(user)
    if not scope.has_role(*CENTRE):
        areas = _area_units(user)
        qs = qs.filter(Q(street_id__in=areas) | Q(grid__parent_id__in=areas))
    return qs.exclude(happy_listing__withdrawn_at__isnull=True, happy_listing__isnull=False)


def projects_visible_to(user) -> QuerySet[Project]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    scope = scope_of(user)
    if scope.all_units:
        return Project.objects.all()
    units = scope.acting_units(*AREA_STAFF)
    areas = _area_units(user)
    return Project.objects.filter(Q(lead_unit_id__in=units) | Q(area_id__in=areas))


# --- the public ----------------------------------------------------------------------------------

PUBLIC_LISTING_FIELDS = (
    "pk",
    "title",
    "result",
    "micro",
    "solved_on",
    "community__name",
    "street__name",
    "appeal__category__name",
)


def public_units() -> list[dict]:
    """Streets (towns) with a public list: their listed and micro counts, and projects."""
    listed = dict(
        Listing.objects.filter(withdrawn_at__isnull=True)
        .values_list("street_id")
        .annotate(n=Count("pk"))
        .values_list("street_id", "n")
    )
    streets = Unit.objects.filter(kind__in=(UnitKind.STREET, UnitKind.TOWN), active=True).order_by(
        "path"
    )
    return [{"unit": s, "listed": listed.get(s.pk, 0)} for s in streets]


def public_listings(unit: Unit) -> QuerySet:
    qs = Listing.objects.filter(withdrawn_at__isnull=True)
    if unit.kind in (UnitKind.STREET, UnitKind.TOWN):
        qs = qs.filter(street=unit)
    else:
        qs = qs.filter(community=unit)
    return qs.values(*PUBLIC_LISTING_FIELDS).order_by("-solved_on", "-pk")


def public_projects(unit: Unit | None = None) -> QuerySet[Project]:
    qs = Project.objects.filter(public=True).select_related("area", "appeal")
    if unit is not None:
        if unit.kind in (UnitKind.STREET, UnitKind.TOWN):
            qs = qs.filter(Q(area=unit) | Q(area__parent=unit))
        else:
            qs = qs.filter(area=unit)
    return qs.annotate(
        n_milestones=Count("milestones", distinct=True),
        n_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
        n_answers=Count("links", distinct=True),
    ).order_by("-id")


def project_state(project: Project) -> str:
    """ "done" | "working" | "waiting" from its work item's status."""
    from .actions import SOLVED

    status = project.appeal.status if project.appeal_id else ""
    if status in SOLVED:
        return "done"
    if status in ("in_progress", "escalated"):
        return "working"
    return "waiting"
