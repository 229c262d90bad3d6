"""Scoped reads of deputies and suggestions. The register is district reference data read by
the dispatch centre and district leaders; deputies' phones are masked unless the role handles
phones; a suggestion is visible exactly when its work item is."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from minhu.appeals.access import PHONE_ROLES, appeals_visible_to, mask_phone
from minhu.appeals.models import Satisfaction, Status
from minhu.core.errors import NotFound
from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of

from .models import Deputy, Suggestion

READ_ROLES = (Role.DISPATCHER, Role.ADMIN, Role.DISTRICT_LEADER, Role.CALLBACK)


def may_read(user) -> bool:
    return scope_of(user).has_role(*READ_ROLES)


def may_see_phone(user) -> bool:
    return scope_of(user).has_role(*PHONE_ROLES)


def shown_phone(user, phone: str) -> str:
    return phone if may_see_phone(user) else mask_phone(phone)


def deputies_visible_to(user) -> QuerySet[Deputy]:
    return Deputy.objects.all() if may_read(user) else Deputy.objects.none()


def access_deputy(user, pk) -> Deputy:
    try:
        return deputies_visible_to(user).get(pk=pk)
    except (Deputy.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def suggestions_visible_to(user) -> QuerySet[Suggestion]:
    if not may_read(user):
        return Suggestion.objects.none()
    return Suggestion.objects.filter(appeal__in=appeals_visible_to(user))


def access_suggestion(user, pk) -> Suggestion:
    try:
        return (
            suggestions_visible_to(user)
            .select_related("deputy", "appeal", "appeal__lead_unit")
            .get(pk=pk)
        )
    except (Suggestion.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _counts(prefix: str = "") -> dict:
    p = prefix
    return {
        "total": Count("pk"),
        "answered": Count("pk", filter=Q(**{f"{p}replied_at__isnull": False})),
        "closed": Count("pk", filter=Q(**{f"{p}status": Status.CLOSED})),
        "satisfied": Count(
            "pk",
            filter=Q(**{f"{p}satisfaction__in": [Satisfaction.SATISFIED, Satisfaction.BASIC]}),
        ),
        "unsatisfied": Count("pk", filter=Q(**{f"{p}satisfaction": Satisfaction.UNSATISFIED})),
    }


def counts_per_deputy(user, year: int | None = None) -> list[dict]:
    qs = suggestions_visible_to(user)
    if year:
        qs = qs.filter(year=year)
    return list(
        qs.values("deputy_id", "deputy__name", "deputy__level", "deputy__constituency")
        .annotate(**_counts("appeal__"))
        .order_by("-total", "deputy__name")
    )


def counts_per_unit(user, year: int | None = None) -> list[dict]:
    qs = suggestions_visible_to(user)
    if year:
        qs = qs.filter(year=year)
    return list(
        qs.values("appeal__lead_unit_id", "appeal__lead_unit__name")
        .annotate(**_counts("appeal__"))
        .order_by("-total", "appeal__lead_unit__name")
    )
