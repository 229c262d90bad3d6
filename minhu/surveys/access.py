"""Scoped reads of questionnaires: district-wide roles see all; other staff the surveys of
their units. Respondents' phones are masked unless the role handles phones."""

from __future__ import annotations

from django.db.models import QuerySet

from minhu.appeals.access import PHONE_ROLES, mask_phone
from minhu.core.errors import NotFound
from minhu.orgs.scope import scope_of

from .models import Response, Survey


def surveys_visible_to(user) -> QuerySet[Survey]:
    if user is None:
        return Survey.objects.none()
    scope = scope_of(user)
    if scope.all_units:
        return Survey.objects.all()
    if not scope.unit_ids:
        return Survey.objects.none()
    return Survey.objects.filter(owner_unit_id__in=scope.unit_ids)


def access_survey(user, pk) -> Survey:
    try:
        return surveys_visible_to(user).get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def responses_visible_to(user) -> QuerySet[Response]:
    return Response.objects.filter(survey__in=surveys_visible_to(user))


def shown_phone(user, phone: str) -> str:
    return phone if scope_of(user).has_role(*PHONE_ROLES) else mask_phone(phone)


def grids_for(user) -> QuerySet:
    """The grids a survey of `user` may be tied to: every grid for district-wide roles, else
    the grids under the user's units."""
    from django.db.models import Q

    from minhu.orgs.models import Unit, UnitKind

    scope = scope_of(user)
    grids = Unit.objects.filter(kind=UnitKind.GRID, active=True).order_by("path")
    if scope.all_units:
        return grids
    paths = Unit.objects.filter(pk__in=scope.unit_ids).values_list("path", flat=True)
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return grids.filter(q)
