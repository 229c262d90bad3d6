"""Query helpers for appeal lists: the due state ("overdue", "due soon") derived at query time
from the indexed `current_due_at`, never stored."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput
from minhu.orgs.models import Unit

from .models import OPEN_STATUSES, Appeal, AssignmentStatus, SummonsStatus, due_bounds


class DueState:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"
    NONE = ""  # no running clock (closed, merged, waiting for the centre)

    FILTERABLE = ("overdue", "due_soon", "on_time", "none")


def _bounds(now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    return due_bounds(now)


def _running() -> Q:
    return Q(status__in=list(OPEN_STATUSES), current_due_at__isnull=False)


def with_due_state(qs: QuerySet[Appeal], now: dt.datetime | None = None) -> QuerySet[Appeal]:
    """Annotate `due_state`: "overdue", "due_soon", "on_time" or "" (same rules as
    Appeal.due_state)."""
    now, soon = _bounds(now)
    running = _running()
    return qs.annotate(
        due_state=Case(
            When(running & Q(current_due_at__lt=now), then=Value(DueState.OVERDUE)),
            When(running & Q(current_due_at__lt=soon), then=Value(DueState.DUE_SOON)),
            When(running, then=Value(DueState.ON_TIME)),
            default=Value(DueState.NONE),
            output_field=CharField(),
        )
    )


def due_state_q(state: str, now: dt.datetime | None = None) -> Q:
    """The filter for one due state ("none" for no running clock); written as plain range
    conditions on current_due_at so that the index serves it."""
    now, soon = _bounds(now)
    running = _running()
    if state == DueState.OVERDUE:
        return running & Q(current_due_at__lt=now)
    if state == DueState.DUE_SOON:
        return running & Q(current_due_at__gte=now, current_due_at__lt=soon)
    if state == DueState.ON_TIME:
        return running & Q(current_due_at__gte=soon)
    if state in ("none", DueState.NONE):
        return ~Q(status__in=list(OPEN_STATUSES)) | Q(current_due_at__isnull=True)
    raise InvalidInput(
        _("时限状态不正确"), code="invalid_choice", field="due_state", choices=DueState.FILTERABLE
    )


def filter_due_state(
    qs: QuerySet[Appeal], state: str, now: dt.datetime | None = None
) -> QuerySet[Appeal]:
    """Only the appeals in `state`: "overdue", "due_soon", "on_time" or "none"."""
    return qs.filter(due_state_q(state, now))


def open_appeal_count(unit: Unit) -> int:
    """Open appeals the unit leads, or holds a live share of (assignment or summons)."""
    live = [AssignmentStatus.PENDING, AssignmentStatus.CLAIMED]
    return (
        Appeal.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(lead_unit=unit)
            | Q(assignments__unit=unit, assignments__active=True, assignments__status__in=live)
            | Q(
                summonses__department=unit,
                summonses__status__in=[SummonsStatus.PENDING, SummonsStatus.REPORTED],
            )
        )
        .distinct()
        .count()
    )
