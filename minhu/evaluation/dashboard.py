"""Dashboard figures for the district or one street/town or department, for one period.

Volumes come from the daily aggregates (plus today's live tail), the three rates from the
follow-up aggregates, open and overdue counts are live."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.kinds import channel_choices
from minhu.appeals.models import OPEN_STATUSES, Appeal, Channel
from minhu.categories.models import Category
from minhu.orgs.models import Unit, UnitKind

from . import aggregates, figures, rates
from .models import EvaluationConfig
from .periods import Period, period_for

DASHBOARD_KINDS = {UnitKind.STREET, UnitKind.TOWN, UnitKind.DEPARTMENT}
TREND_PERIODS = 12


pct_change = figures.pct_change
_scope_q = figures.scope_q


def _volume(cells: dict, dim: str) -> dict[str, int]:
    return {k[1]: n for k, n in cells.items() if k[0] == dim}


def build(period: Period, config: EvaluationConfig, unit: Unit | None = None) -> dict:
    """Everything the dashboard page draws. `unit` None is the district."""
    scope_id = unit.pk if unit is not None else 0
    start, end = period.first_day, period.end_day
    dims = ["total", "channel", "category", "grid"] + (
        ["street"] if unit is None or unit.kind == UnitKind.DEPARTMENT else []
    )
    cache: dict = {}
    cells = aggregates.appeal_cells(start, end, scope_id, dims, cache=cache)
    total = cells.get(("total", ""), 0)
    # Daily volume of this period and of the last 24 periods (for the year-on-year chart).
    first = period.shift(-(TREND_PERIODS * 2 - 1))
    daily = aggregates.appeal_cells(
        first.first_day, end, scope_id, ["total"], by_day=True, cache=cache
    )
    per_period: dict[str, int] = defaultdict(int)
    per_day: dict[dt.date, int] = {}
    for (_scope, _dim, day), n in daily.items():
        per_period[period_for(day, period.start_day).key] += n
        if start <= day < end:
            per_day[day] = per_day.get(day, 0) + n
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    # 环比/同比 like with like: the elapsed days against the same days before (figures).
    cmp = figures.comparison(period)

    def days_total(r: tuple[dt.date, dt.date]) -> int:
        return sum(n for (_s, _d, day), n in daily.items() if r[0] <= day < r[1])

    now_total = days_total(cmp.current)
    prev_total = days_total(cmp.previous)
    yoy_total = days_total(cmp.year_ago)
    trend_periods = [period.shift(-i) for i in range(TREND_PERIODS - 1, -1, -1)]

    # Channels, categories, streets, grids.
    channel_labels = dict(channel_choices())
    channel_rows = sorted(
        ((str(channel_labels.get(k, k)), n, k) for k, n in _volume(cells, "channel").items()),
        key=lambda x: -x[1],
    )
    by_channel = [(label, n) for label, n, _k in channel_rows]
    cat_counts = _volume(cells, "category")
    cat_ids = [int(k) for k in cat_counts if k]
    cats = {c.pk: c for c in Category.objects.filter(pk__in=cat_ids).select_related("parent")}
    category_rows = sorted(
        (
            (str(cats[int(k)]) if k and int(k) in cats else _("未分类"), n, k)
            for k, n in cat_counts.items()
        ),
        key=lambda x: -x[1],
    )
    by_category = [(label, n) for label, n, _k in category_rows]
    domain: dict[str, int] = defaultdict(int)
    for k, n in cat_counts.items():
        c = cats.get(int(k)) if k else None
        domain[c.top.name if c else _("未分类")] += n
    grid_counts = _volume(cells, "grid")
    street_counts = _volume(cells, "street")
    unit_ids = {int(k) for k in list(grid_counts) + list(street_counts) if k}
    unit_map = {
        u.pk: u
        for u in Unit.objects.filter(pk__in=unit_ids).only("pk", "name", "path", "parent_id")
    }
    streets_by_id = {
        u.pk: u.name for u in Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN])
    }
    street_rows = sorted(
        (
            (streets_by_id.get(int(k), unit_map[int(k)].name if int(k) in unit_map else k), n, k)
            if k
            else (_("未定位"), n, k)
            for k, n in street_counts.items()
        ),
        key=lambda x: -x[1],
    )
    by_street = [(label, n) for label, n, _k in street_rows]
    grids = []
    for k, n in grid_counts.items():
        if not k or int(k) not in unit_map:
            continue
        g = unit_map[int(k)]
        street_name = next(
            (
                streets_by_id[int(p)]
                for p in g.path.strip("/").split("/")
                if int(p) in streets_by_id
            ),
            "",
        )
        grids.append({"id": g.pk, "name": g.name, "street": street_name, "count": n})
    grids.sort(key=lambda g: -g["count"])
    max_grid = grids[0]["count"] if grids else 0
    for g in grids:
        g["heat"] = round(g["count"] / max_grid, 3) if max_grid else 0

    # Open and overdue, live.
    now = timezone.now()
    # COUNT(*) lets PostgreSQL answer from the (status, current_due_at) index alone.
    live = Appeal.objects.filter(_scope_q(unit), status__in=OPEN_STATUSES).aggregate(
        open=Count("*"), overdue=Count("current_due_at", filter=Q(current_due_at__lt=now))
    )
    overdue_by_unit = []
    if unit is None:
        rows = (
            Appeal.objects.filter(status__in=OPEN_STATUSES, current_due_at__lt=now)
            .values("lead_unit_id")
            .annotate(n=Count("*"))
            .order_by("-n")[:10]
        )
        names = dict(
            Unit.objects.filter(pk__in=[r["lead_unit_id"] for r in rows]).values_list("pk", "name")
        )
        overdue_by_unit = [(names.get(r["lead_unit_id"], _("未派单")), r["n"]) for r in rows]

    # Three rates: this period, and over the last 12 periods.
    members = rates.members(unit, config) if unit is not None else None
    basis = rates.basis_of(config)
    sources = set(config.valid_sources or [])
    day_totals = aggregates.follow_up_day_totals(trend_periods[0].first_day, end, basis, members)
    per_period_fu: dict[str, list[int]] = defaultdict(lambda: [0] * len(aggregates.FU_FIELDS))
    for (day, source), counts in day_totals.items():
        if source not in sources:
            continue
        acc = per_period_fu[period_for(day, period.start_day).key]
        for i, v in enumerate(counts):
            acc[i] += v
    zero = [0] * len(aggregates.FU_FIELDS)
    figs = rates.compute(per_period_fu.get(period.key, zero), config)
    rate_trend = []
    for p in trend_periods:
        f = rates.compute(per_period_fu.get(p.key, zero), config)
        rate_trend.append(
            {
                "period": p.key,
                "valid": f.valid,
                "response_rate": f.response_rate,
                "solve_rate": f.solve_rate,
                "satisfaction_rate": f.satisfaction_rate,
                "composite": f.composite,
            }
        )
    volume_trend = []
    for p in trend_periods:
        n, b = per_period.get(p.key, 0), per_period.get(p.year_ago.key, 0)
        if p == period and cmp.partial:
            n, b = now_total, yoy_total  # a running period: its elapsed days only
        volume_trend.append({"period": p.key, "volume": n, "year_ago": b, "yoy": pct_change(n, b)})
    hotline = dict(by_channel).get(str(Channel.HOTLINE.label), 0)
    return {
        "period": period,
        "unit": unit,
        "kpi": {
            "total": total,
            "prev_total": prev_total,
            "yoy_total": yoy_total,
            "compared_total": now_total,
            "mom": pct_change(now_total, prev_total),
            "yoy": pct_change(now_total, yoy_total),
            "open": live["open"],
            "overdue": live["overdue"],
            "hotline": hotline,
        },
        "figures": figs,
        "completion": figures.completion(start, end, unit),
        "rate_mom": figures.rate_changes(period, config, unit, day_totals=day_totals),
        "comparison": cmp,
        "channel_yoy": figures.yoy_by_channel(period, unit),
        "category_yoy": figures.yoy_by_category(period, unit)[:10],
        "definitions": figures.definitions(),
        "by_day": [(d.isoformat(), per_day.get(d, 0)) for d in days],
        "by_channel": by_channel,
        "by_category": by_category[:10],
        # the key behind each row of by_channel / by_category / by_street, in their order (the
        # page's drill-down: a slice, a bar or a hot category opens its appeals)
        "hot_categories": category_rows[:10],
        "drill_keys": {
            "channel": [k for _l, _n, k in channel_rows],
            "category": [k for _l, _n, k in category_rows[:10]],
            "street": [k for _l, _n, k in street_rows],
        },
        "by_domain": sorted(domain.items(), key=lambda x: -x[1]),
        "by_street": by_street,
        "grids": grids[:60],
        "grid_total": len(grids),
        "overdue_by_unit": overdue_by_unit,
        "rate_trend": rate_trend,
        "volume_trend": volume_trend,
    }


def as_json(data: dict) -> dict:
    """The JSON-safe form used by the API and the page's charts."""

    def s(v):
        return None if v is None else float(v)

    f = data["figures"]
    return {
        "period": data["period"].key,
        "unit": data["unit"].pk if data["unit"] else None,
        "kpi": {k: (float(v) if isinstance(v, Decimal) else v) for k, v in data["kpi"].items()},
        "figures": {k: (float(v) if isinstance(v, str) else v) for k, v in f.as_dict().items()},
        "by_day": data["by_day"],
        "by_channel": data["by_channel"],
        "by_category": data["by_category"],
        "by_domain": data["by_domain"],
        "by_street": data["by_street"],
        "grids": data["grids"],
        "overdue_by_unit": data["overdue_by_unit"],
        "rate_trend": [
            {k: (s(v) if k not in ("period", "valid") else v) for k, v in r.items()}
            for r in data["rate_trend"]
        ],
        "volume_trend": [{**r, "yoy": s(r["yoy"])} for r in data["volume_trend"]],
        "completion": {
            **data["completion"],
            "completion_rate": s(data["completion"]["completion_rate"]),
            "on_time_rate": s(data["completion"]["on_time_rate"]),
            "rectification_rate": s(data["completion"]["rectification_rate"]),
        },
        "comparison": data["comparison"].as_dict(),
        "rate_mom": {k: {kk: s(vv) for kk, vv in v.items()} for k, v in data["rate_mom"].items()},
        "channel_yoy": [{**r, "yoy": s(r["yoy"])} for r in data["channel_yoy"]],
        "category_yoy": [{**r, "yoy": s(r["yoy"])} for r in data["category_yoy"]],
        "definitions": data["definitions"],
    }


def chart_labels() -> dict[str, str]:
    """The series names of the page's charts, in the active language (ECharts shows them in
    legends and tooltips)."""
    return {
        "volume": _("受理量"),
        "this_period": _("本期"),
        "year_ago": _("去年同期"),
        "yoy": _("同比%"),
        "response_rate": _("响应率"),
        "solve_rate": _("解决率"),
        "satisfaction_rate": _("满意率"),
        "composite": _("综合得分"),
    }
