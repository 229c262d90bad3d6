"""约谈 promises (seed 001): the head of a unit called in promises, in public, what the unit will
put right and by when. `actions.record_interview` registers the promise as a work item of its
own kind (`interview_promise`, channel `interview`) dispatched to the unit, due at the end of
the promised day (the kind's `resolve_due`): the unit claims it and reports what it did
(resolve), the centre checks and closes it. A promise not kept by its date is overdue like any
work item (deadline sweep, overdue counts, automatic 督办). The public 阅卷 page lists each
period's promises with their state (`public_promises`); no person is named."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KIND = "interview_promise"
CHANNEL = "interview"
SOURCE = "evaluation.Interview"

STATES = {
    "kept": gettext_lazy("按期兑现"),
    "kept_late": gettext_lazy("逾期兑现"),
    "missed": gettext_lazy("逾期未兑现"),
    "open": gettext_lazy("兑现中"),
}


def due_end(day: dt.date) -> dt.datetime:
    """The last moment of the promised day, local time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def resolve_due(item, start: dt.datetime) -> dt.datetime | None:
    """The kind's resolve deadline: the end of the day the promise was made for."""
    from .models import Interview

    if item.source_type != SOURCE or not item.source_id:
        return None
    day = (
        Interview.objects.filter(pk=int(item.source_id))
        .values_list("promise_due", flat=True)
        .first()
    )
    return due_end(day) if day else None


def state_of(item, now: dt.datetime | None = None) -> str:
    """kept / kept_late / missed / open, from the work item (the loop's own record)."""
    from .figures import HANDLED_STATUSES

    now = now or timezone.now()
    due = item.resolve_due_at
    if item.status in HANDLED_STATUSES and item.resolved_at is not None:
        return "kept" if due is None or item.resolved_at <= due else "kept_late"
    return "missed" if due is not None and now > due else "open"


def public_promises(period_key: str) -> list[dict]:
    """The promises made in the 约谈 of a period, for the public page: the unit, what it
    promised, by when, and whether it was kept (JSON-safe; no names of persons)."""
    from .models import Interview, InterviewStatus

    rows = (
        Interview.objects.filter(period=period_key, status=InterviewStatus.HELD, item__isnull=False)
        .select_related("unit", "item")
        .order_by("promise_due", "unit__name", "pk")
    )
    out = []
    for i in rows:
        state = state_of(i.item)
        resolved = i.item.resolved_at
        out.append(
            {
                "unit_name": i.unit.name,
                "source": str(i.get_source_display()),
                "held_on": timezone.localtime(i.held_at).date().isoformat() if i.held_at else None,
                "promise": i.promise,
                "promise_due": i.promise_due.isoformat() if i.promise_due else None,
                "state": state,
                "state_label": str(STATES[state]),
                "kept_on": timezone.localtime(resolved).date().isoformat()
                if state in ("kept", "kept_late")
                else None,
            }
        )
    return out


def summary(rows: list[dict]) -> dict:
    counts = dict.fromkeys(STATES, 0)
    for r in rows:
        counts[r["state"]] += 1
    return {"total": len(rows), **counts, "labels": {k: str(v) for k, v in STATES.items()}}


def item_subject(unit_name: str) -> str:
    return _("约谈整改承诺：%(unit)s") % {"unit": unit_name}
