"""Time limits per step, work-item kind, category and urgency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q

from .calendar import add_limit
from .models import Measure, Step, TimeLimitPolicy

# Used when no policy row matches. (amount, measure)
DEFAULT_LIMITS: dict[str, tuple[Decimal, str]] = {
    Step.CLAIM: (Decimal(2), Measure.WORKING_HOURS),
    Step.CONTACT: (Decimal(24), Measure.NATURAL_HOURS),
    Step.RESOLVE: (Decimal(3), Measure.WORKING_DAYS),
    Step.REPORT: (Decimal(1), Measure.WORKING_DAYS),
    Step.ANSWER: (Decimal(7), Measure.NATURAL_DAYS),
}
URGENT_DEFAULTS: dict[str, dict[str, tuple[Decimal, str]]] = {
    "urgent": {
        Step.CLAIM: (Decimal(1), Measure.NATURAL_HOURS),
        Step.CONTACT: (Decimal(2), Measure.NATURAL_HOURS),
        Step.RESOLVE: (Decimal(1), Measure.WORKING_DAYS),
    },
    "critical": {
        Step.CLAIM: (Decimal("0.5"), Measure.NATURAL_HOURS),
        Step.CONTACT: (Decimal(1), Measure.NATURAL_HOURS),
        Step.RESOLVE: (Decimal(24), Measure.NATURAL_HOURS),
    },
}


def limit_for(step: str, category=None, urgency: str = "", kind: str = "") -> tuple[Decimal, str]:
    """The (amount, measure) that applies, most specific policy first: the rows of the item's
    `kind` before the rows for every kind (so a kind without rows of its own keeps today's
    limits), each by category and urgency."""
    candidates = []
    cat_ids = []
    if category is not None:
        cat_ids.append(category.pk)
        if category.parent_id:
            cat_ids.append(category.parent_id)
    rows = list(
        TimeLimitPolicy.objects.filter(step=step, kind__in=[kind or "", ""])
        # (`category_id__in=[..., None]` would drop the None: SQL's IN never matches NULL.)
        .filter(Q(category_id__in=cat_ids) | Q(category__isnull=True))
        .filter(urgency__in=[urgency or "", ""])
    )
    for row in rows:
        if row.category_id is not None:
            rank = 0 if row.category_id == cat_ids[0] else 2
        else:
            rank = 4
        rank += 0 if (row.urgency and row.urgency == urgency) else 1
        rank += 0 if (kind and row.kind == kind) else 8
        candidates.append((rank, row))
    builtin_urgent = URGENT_DEFAULTS.get(urgency, {}).get(step)
    candidates.sort(key=lambda c: c[0])
    for _rank, best in candidates:
        # A default row (no category, no urgency) never beats the built-in urgency defaults:
        # an admin's "3 working days" must not slow down critical appeals.
        if best.category_id is None and not best.urgency and builtin_urgent:
            continue
        return best.amount, best.measure
    if builtin_urgent:
        return builtin_urgent
    return DEFAULT_LIMITS[step]


def due_at(
    step: str, start: dt.datetime, category=None, urgency: str = "", kind: str = ""
) -> dt.datetime:
    amount, measure = limit_for(step, category, urgency, kind)
    return add_limit(start, amount, measure)
