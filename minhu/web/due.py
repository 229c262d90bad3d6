"""Due states of appeals for lists and badges: the labels. The rule itself is the loop's
(minhu.appeals.models.due_bounds / step_due_state, minhu.appeals.queries for SQL)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from minhu.appeals import queries
from minhu.appeals.models import step_due_state

DUE_STATES = {
    "overdue": _("已超时"),
    "due_soon": _("即将超时"),
    "on_time": _("未超时"),
}
DUE_CHOICES = [("", _("全部时限"))] + list(DUE_STATES.items())


def due_q(state: str, now: dt.datetime | None = None) -> Q:
    """A filter for one due state (queries.due_state_q); an unknown state filters nothing."""
    return queries.due_state_q(state, now) if state in DUE_STATES else Q()


def filter_due_state(qs: QuerySet, state: str, now: dt.datetime | None = None) -> QuerySet:
    return qs.filter(due_q(state, now))


with_due_state = queries.with_due_state


def deadline_state(
    due: dt.datetime | None, done: dt.datetime | None, now: dt.datetime | None = None
) -> str:
    """State of one step: "done_on_time", "done_late", "overdue", "due_soon", "on_time" or ""."""
    if due is None:
        return ""
    if done is not None:
        return "done_on_time" if done <= due else "done_late"
    return step_due_state(due, now)


STEP_STATE_LABELS = {
    "done_on_time": _("按时完成"),
    "done_late": _("超时完成"),
    "overdue": _("已超时"),
    "due_soon": _("即将超时"),
    "on_time": _("未超时"),
    "": "",
}
