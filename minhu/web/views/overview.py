"""Leader overview: counts by state, overdue appeals and today's new ones, within the user's
scope (a unit leader's subtree, everything for district-wide roles)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import OPEN_STATUSES, Status
from minhu.evaluation import figures, rates
from minhu.evaluation.access import home_unit
from minhu.evaluation.config import active_config
from minhu.evaluation.periods import current_period
from minhu.orgs.models import Role, Unit
from minhu.orgs.scope import scope_of

from ..due import due_q, with_due_state
from ..permissions import page_required
from ..tiles import tiles_for

LIST_LIMIT = 20


def _today_start() -> dt.datetime:
    now = timezone.localtime()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@page_required("overview")
def overview(request):
    user = request.user
    scope = scope_of(user)
    qs = appeals_visible_to(user)
    today = _today_start()
    now = timezone.now()
    # Each figure reads only the rows it counts, through its own index (status, created_at,
    # closed_at): one aggregate with FILTERs over the whole table would scan every appeal ever
    # received, tens of millions in a large deployment.
    open_qs = qs.filter(status__in=OPEN_STATUSES)
    by_status = dict(open_qs.order_by().values_list("status").annotate(n=Count("pk")))
    totals = open_qs.aggregate(
        overdue=Count("pk", filter=due_q("overdue", now)),
        due_soon=Count("pk", filter=due_q("due_soon", now)),
    )
    totals["open"] = sum(by_status.values())
    totals["today_new"] = qs.filter(created_at__gte=today).count()
    totals["today_closed"] = qs.filter(closed_at__gte=today).count()
    # 满意率 is the evaluation's one definition (evaluation.figures), for the current period
    # and the user's dashboard scope, so this page and /evaluation/ show the same figure.
    config = active_config()
    period = current_period(config.period_start_day)
    rate_unit = home_unit(user)
    satisfaction = rates.figures_total(period.first_day, period.end_day, config, rate_unit)
    statuses = [(s.value, s.label, by_status.get(s.value, 0)) for s in Status if s in OPEN_STATUSES]
    peak = max([n for _v, _l, n in statuses] + [1])
    related = ("category__parent", "street", "lead_unit")
    overdue = list(
        with_due_state(qs.filter(due_q("overdue", now)))
        .select_related(*related)
        .order_by("current_due_at")[:LIST_LIMIT]
    )
    today_new = list(
        with_due_state(qs.filter(created_at__gte=today))
        .select_related(*related)
        .order_by("-created_at")[:LIST_LIMIT]
    )
    by_unit = list(
        qs.filter(status__in=OPEN_STATUSES, lead_unit__isnull=False)
        .order_by()
        .values("lead_unit_id", "lead_unit__name")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=due_q("overdue", now)),
            escalated=Count("pk", filter=Q(status=Status.ESCALATED)),
        )
        .order_by("-overdue", "-open")[:12]
    )
    if scope.all_units:
        scope_label = _("全区")
    else:
        led = scope.acting_units(Role.UNIT_LEADER) or scope.unit_ids
        names = list(
            Unit.objects.filter(pk__in=led).order_by("path").values_list("name", flat=True)[:3]
        )
        scope_label = _("、").join(names) + (_("等") if len(led) > 3 else "")
    ctx = {
        "statuses": statuses,
        "peak": peak,
        "totals": totals,
        "overdue": overdue,
        "today_new": today_new,
        "by_unit": by_unit,
        "scope_label": scope_label,
        "today": today,
        "satisfaction": satisfaction,
        "satisfaction_definition": figures.DEFINITIONS["satisfaction_rate"].text,
        "rate_period": period,
        "rate_unit": rate_unit,
        "tiles": tiles_for(user),
    }
    return render(request, "web/overview.html", ctx)
