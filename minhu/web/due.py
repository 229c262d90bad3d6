"""Due states of appeals for lists and badges.

The core's `minhu.appeals.queries.with_due_state` / `filter_due_state` are used when they exist;
otherwise the same thing is computed here from `current_due_at` (an open appeal whose current due
time has passed is overdue; one due within MINHU_DUE_SOON_HOURS is due soon)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import OPEN_STATUSES

try:  # the core engineer's helpers, when present
    from minhu.appeals import queries as _core_queries
except ImportError:  # pragma: no cover - depends on the tree
    _core_queries = None

DUE_STATES = {
    "overdue": _("已超时"),
    "due_soon": _("即将超时"),
    "on_time": _("未超时"),
}
DUE_CHOICES = [("", _("全部时限"))] + list(DUE_STATES.items())


def _soon(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=settings.MINHU_DUE_SOON_HOURS)


def due_q(state: str, now: dt.datetime | None = None) -> Q:
    """A filter for one due state (computed from current_due_at)."""
    now = now or timezone.now()
    running = Q(status__in=OPEN_STATUSES, current_due_at__isnull=False)
    if state == "overdue":
        return running & Q(current_due_at__lt=now)
    if state == "due_soon":
        return running & Q(current_due_at__gte=now, current_due_at__lt=_soon(now))
    if state == "on_time":
        return running & Q(current_due_at__gte=_soon(now))
    return Q()


def filter_due_state(qs: QuerySet, state: str, now: dt.datetime | None = None) -> QuerySet:
    if state not in DUE_STATES:
        return qs
    core = getattr(_core_queries, "filter_due_state", None)
    if core is not None:
        return core(qs, state, now)
    return qs.filter(due_q(state, now))


def with_due_state(qs: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Annotates `due_state` ("overdue" / "due_soon" / "on_time" / "")."""
    core = getattr(_core_queries, "with_due_state", None)
    if core is not None:
        return core(qs, now)
    now = now or timezone.now()
    return qs.annotate(
        due_state=Case(
            When(due_q("overdue", now), then=Value("overdue")),
            When(due_q("due_soon", now), then=Value("due_soon")),
            When(due_q("on_time", now), then=Value("on_time")),
            default=Value(""),
            output_field=CharField(),
        )
    )


def deadline_state(
    due: dt.datetime | None, done: dt.datetime | None, now: dt.datetime | None = None
) -> str:
    """State of one step: "done_on_time", "done_late", "overdue", "due_soon", "on_time" or ""."""
    if due is None:
        return ""
    if done is not None:
        return "done_on_time" if done <= due else "done_late"
    now = now or timezone.now()
    if due < now:
        return "overdue"
    if due < _soon(now):
        return "due_soon"
    return "on_time"


STEP_STATE_LABELS = {
    "done_on_time": _("按时完成"),
    "done_late": _("超时完成"),
    "overdue": _("已超时"),
    "due_soon": _("即将超时"),
    "on_time": _("未超时"),
    "": "",
}
