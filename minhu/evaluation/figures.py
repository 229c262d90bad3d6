"""Every published figure: its one definition, its comparison periods and the live counts that
are not follow-up rates (those are in `rates`).

- `DEFINITIONS`: for each figure its name, numerator and denominator, in the active language.
  Pages show them in a tooltip beside the figure and the API returns them, so a figure is never
  shown without saying what it counts.
- `comparison(period)`: the ranges a period is compared with. 环比 and 同比 compare like with
  like: while a period is running only its elapsed days count, and the previous period and the
  same period a year ago are cut to the same number of days (3 days of December against the
  first 3 days of November, not against all of it).
- `yoy_by(dim, ...)` / `yoy_by_channel(...)` / `yoy_by_category(...)`: volumes year on year
  per channel or category (registered work items of every kind, as the volume figures count).
- `completion(...)`: 办结率, 按时办结率, 整改完成率 (closed out, 销号) and the outcome counts (当场解决 / 协调解决 / 长期推进)
  of the work items registered in a range, counted live; `completion_q(metric)` is the filter
  behind each count, which the drill-down lists use. Only kinds that count in rates
  (`appeals.kinds`, `counts_in_rates`) are counted; merged duplicates are not items of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals.kinds import channel_label, kinds_ranked_apart, unrated_kinds
from minhu.appeals.models import Appeal, OutcomeKind, Status
from minhu.categories.models import Category
from minhu.orgs.models import Unit, UnitKind

from . import aggregates
from .periods import Period
from .rates import HUNDRED, q2


@dataclass(frozen=True)
class Definition:
    name: object
    numerator: object
    denominator: object

    def as_dict(self) -> dict[str, str]:
        return {
            "name": str(self.name),
            "numerator": str(self.numerator),
            "denominator": str(self.denominator),
        }

    @property
    def text(self) -> str:
        """One line for a tooltip: "name = numerator ÷ denominator"."""
        return _("%(name)s = %(num)s ÷ %(den)s") % {
            "name": self.name,
            "num": self.numerator,
            "den": self.denominator,
        }


DEFINITIONS: dict[str, Definition] = {
    "response_rate": Definition(
        gettext_lazy("响应率"),
        gettext_lazy("回访中答复“及时联系”的件数"),
        gettext_lazy("有效回访中答复了是否及时联系的件数"),
    ),
    "solve_rate": Definition(
        gettext_lazy("解决率"),
        gettext_lazy("回访答复“已解决”的件数"),
        gettext_lazy("有效回访件数"),
    ),
    "satisfaction_rate": Definition(
        gettext_lazy("满意率"),
        gettext_lazy("“满意”件数 + “基本满意”件数 × 基本满意权重"),
        gettext_lazy("有效回访件数"),
    ),
    "composite": Definition(
        gettext_lazy("综合得分"),
        gettext_lazy("响应率、解决率、满意率按权重加权之和"),
        gettext_lazy("有数据的各率权重之和"),
    ),
    "completion_rate": Definition(
        gettext_lazy("办结率"),
        gettext_lazy("本期受理且已办结（已办理、答复或销号）的件数"),
        gettext_lazy("本期受理的件数（不含合并件）"),
    ),
    "on_time_rate": Definition(
        gettext_lazy("按时办结率"),
        gettext_lazy("在办结时限内办结的件数"),
        gettext_lazy("本期受理且已办结的件数"),
    ),
    "rectification_rate": Definition(
        gettext_lazy("整改完成率"),
        gettext_lazy("本期受理且已销号的件数（群众回访后闭环）"),
        gettext_lazy("本期受理的件数（不含合并件）"),
    ),
    "rate_mom": Definition(
        gettext_lazy("三率环比（百分点）"),
        gettext_lazy("本期已过天数的率 − 上期同日数的率"),
        gettext_lazy("1（差值，单位：百分点）"),
    ),
    "mom": Definition(
        gettext_lazy("环比"),
        gettext_lazy("本期受理量 − 上期同日数受理量"),
        gettext_lazy("上期同日数受理量"),
    ),
    "yoy": Definition(
        gettext_lazy("同比"),
        gettext_lazy("本期受理量 − 去年同期同日数受理量"),
        gettext_lazy("去年同期同日数受理量"),
    ),
}


def definitions() -> dict[str, dict[str, str]]:
    """The definitions in the active language (JSON-safe), with the one-line text."""
    return {k: {**d.as_dict(), "text": d.text} for k, d in DEFINITIONS.items()}


def pct_change(now: int | Decimal | None, before: int | Decimal | None) -> Decimal | None:
    """(now − before) ÷ before in percent; None without a base."""
    if now is None or not before:
        return None
    return q2((Decimal(now) - Decimal(before)) * HUNDRED / Decimal(before))


def ratio(num: int, den: int) -> Decimal | None:
    return q2(Decimal(num) * HUNDRED / den) if den else None


# --- comparison periods -----------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """[start, end) date ranges: the period (cut at today while it runs), and the previous
    period and the year-ago period cut to the same number of days."""

    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    year_ago: tuple[dt.date, dt.date]
    partial: bool

    @property
    def days(self) -> int:
        return (self.current[1] - self.current[0]).days

    def as_dict(self) -> dict:
        def r(x):
            return {"start": x[0].isoformat(), "end": x[1].isoformat()}

        return {
            "current": r(self.current),
            "previous": r(self.previous),
            "year_ago": r(self.year_ago),
            "partial": self.partial,
            "days": self.days,
        }


def _same_length(p: Period, days: int) -> tuple[dt.date, dt.date]:
    return p.first_day, min(p.first_day + dt.timedelta(days=days), p.end_day)


def comparison(period: Period, today: dt.date | None = None) -> Comparison:
    today = today or timezone.localdate()
    start, end = period.first_day, period.end_day
    cut = end
    if start <= today < end:
        cut = today + dt.timedelta(days=1)
    elif today < start:
        cut = start  # a future period: nothing has elapsed
    days = (cut - start).days
    return Comparison(
        current=(start, cut),
        previous=_same_length(period.previous, days),
        year_ago=_same_length(period.year_ago, days),
        partial=cut < end,
    )


# --- 环比 of the follow-up rates ----------------------------------------------------------------

RATE_KEYS = ("response_rate", "solve_rate", "satisfaction_rate", "composite")


def rate_changes(
    period: Period,
    config,
    unit: Unit | None = None,
    *,
    today: dt.date | None = None,
    day_totals: dict | None = None,
) -> dict[str, dict]:
    """环比 of the three follow-up rates and the composite score, like with like: the rates of
    the period's elapsed days against those of the same days of the previous period, and the
    change in percentage points (None where either side has no base).
    {key: {"now", "previous", "change"}} for each of RATE_KEYS. `day_totals` (the dashboard's
    `aggregates.follow_up_day_totals` covering both ranges) saves the query."""
    from . import rates

    cmp = comparison(period, today)
    if day_totals is None:
        members = rates.members(unit, config) if unit is not None else None
        day_totals = aggregates.follow_up_day_totals(
            cmp.previous[0], cmp.current[1], rates.basis_of(config), members
        )
    sources = set(config.valid_sources or [])

    def figures_of(r: tuple[dt.date, dt.date]):
        acc = [0] * len(aggregates.FU_FIELDS)
        for (day, source), counts in day_totals.items():
            if source in sources and r[0] <= day < r[1]:
                for i, v in enumerate(counts):
                    acc[i] += v
        return rates.compute(acc, config)

    now, before = figures_of(cmp.current), figures_of(cmp.previous)
    out = {}
    for key in RATE_KEYS:
        a, b = getattr(now, key), getattr(before, key)
        out[key] = {
            "now": a,
            "previous": b,
            "change": None if a is None or b is None else q2(a - b),
        }
    return out


# --- volumes year on year ---------------------------------------------------------------------


def _scope_id(unit: Unit | None) -> int:
    return unit.pk if unit is not None else 0


def yoy_by(
    dim: str, period: Period, unit: Unit | None = None, *, today: dt.date | None = None
) -> list[dict]:
    """Registered volume per key of `dim` ("channel" or "category") in the period (elapsed
    days) and in the same days a year ago, with the change in percent; largest first. Keys
    present in either range are listed."""
    cmp = comparison(period, today)
    scope = _scope_id(unit)
    now = aggregates.appeal_cells(*cmp.current, scope, [dim])
    before = aggregates.appeal_cells(*cmp.year_ago, scope, [dim])
    keys = {k[1] for k in now} | {k[1] for k in before}
    rows = []
    for key in keys:
        n, b = now.get((dim, key), 0), before.get((dim, key), 0)
        rows.append({"key": key, "count": n, "year_ago": b, "yoy": pct_change(n, b)})
    labels = _labels(dim, keys)
    for r in rows:
        r["label"] = labels.get(r["key"], r["key"])
    rows.sort(key=lambda r: (-r["count"], -r["year_ago"], r["label"]))
    return rows


def _labels(dim: str, keys) -> dict[str, str]:
    if dim == "channel":
        return {k: str(channel_label(k)) for k in keys}
    if dim == "category":
        ids = [int(k) for k in keys if k]
        cats = Category.objects.filter(pk__in=ids).select_related("parent")
        out = {str(c.pk): str(c) for c in cats}
        out[""] = _("未分类")
        return out
    raise ValueError(f"no year-on-year by {dim!r}")


def yoy_by_channel(
    period: Period, unit: Unit | None = None, *, today: dt.date | None = None
) -> list[dict]:
    """Per channel: {"key", "label", "count", "year_ago", "yoy"} (see `yoy_by`)."""
    return yoy_by("channel", period, unit, today=today)


def channel_yoy(code: str, period: Period | None = None, unit: Unit | None = None) -> dict:
    """One channel's row of `yoy_by_channel` (zeros when it had nothing either year): what a
    channel's own page shows beside its counts. The current period by default."""
    from .config import active_config
    from .periods import current_period

    period = period or current_period(active_config().period_start_day)
    row = next((r for r in yoy_by_channel(period, unit) if r["key"] == code), None)
    if row is None:
        row = {"key": code, "label": str(channel_label(code)), "count": 0, "year_ago": 0}
        row["yoy"] = None
    return {**row, "period": period}


def yoy_by_category(
    period: Period, unit: Unit | None = None, *, today: dt.date | None = None
) -> list[dict]:
    return yoy_by("category", period, unit, today=today)


# --- completion (办结率, 按时办结率, outcomes) ---------------------------------------------------

HANDLED_STATUSES = (Status.RESOLVED, Status.REPLIED, Status.CLOSED)
COMPLETION_METRICS = {
    "registered": gettext_lazy("受理件数"),
    "handled": gettext_lazy("已办结"),
    "unhandled": gettext_lazy("未办结"),
    "on_time": gettext_lazy("按时办结"),
    "late": gettext_lazy("超时办结"),
    "closed": gettext_lazy("已销号"),
    "outcome": gettext_lazy("办理结果"),
}


def scope_q(unit: Unit | None) -> Q:
    """The items a dashboard scope covers: a department's as lead unit, a street's by place."""
    if unit is None:
        return Q()
    if unit.kind == UnitKind.DEPARTMENT:
        return Q(lead_unit=unit)
    return Q(street=unit)


def _counted_q() -> Q:
    q = ~Q(status=Status.MERGED)
    excluded = unrated_kinds()
    if excluded:
        q &= ~Q(kind__in=excluded)
    return q


def _handled_q() -> Q:
    return Q(status__in=HANDLED_STATUSES) & Q(resolved_at__isnull=False)


def _on_time_q() -> Q:
    return _handled_q() & (Q(resolve_due_at__isnull=True) | Q(resolved_at__lte=F("resolve_due_at")))


def completion_q(metric: str, key: str = "") -> Q:
    """The filter selecting exactly the items counted in `metric` (COMPLETION_METRICS); with
    "outcome", `key` is the outcome kind ("" for handled items without one)."""
    from minhu.core.errors import InvalidInput

    base = _counted_q()
    if metric == "registered":
        return base
    if metric == "handled":
        return base & _handled_q()
    if metric == "unhandled":
        return base & ~_handled_q()
    if metric == "on_time":
        return base & _on_time_q()
    if metric == "late":
        return base & _handled_q() & ~_on_time_q()
    if metric == "closed":
        return base & Q(status=Status.CLOSED)
    if metric == "outcome":
        if key and key not in OutcomeKind.values:
            raise InvalidInput(_("办理结果不正确"), code="invalid_outcome", field="key")
        return base & _handled_q() & (Q(outcome_kind=key) if key else Q(outcome_kind=""))
    raise InvalidInput(_("指标不正确"), code="invalid_metric", field="metric")


def _range_q(start: dt.date, end: dt.date) -> Q:
    return Q(
        created_at__gte=aggregates.local_start(start), created_at__lt=aggregates.local_start(end)
    )


def _completion_counts() -> dict:
    return {
        "registered": Count("id"),
        "handled": Count("id", filter=_handled_q()),
        "on_time": Count("id", filter=_on_time_q()),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        **{
            f"outcome_{k}": Count("id", filter=completion_q("outcome", k))
            for k in OutcomeKind.values
        },
    }


def completion(start: dt.date, end: dt.date, unit: Unit | None = None) -> dict:
    """Counts and rates of the items registered in [start, end) in a scope (live)."""
    row = Appeal.objects.filter(_range_q(start, end), scope_q(unit), _counted_q()).aggregate(
        **_completion_counts()
    )
    return _completion_dict(row)


def completion_by_unit(
    units: list[Unit], start: dt.date, end: dt.date, group: str | None = None
) -> dict[int, dict]:
    """`completion` for each unit (a department's items as lead unit, a street's or town's by
    place), in at most two grouped queries. With a ranking `group`, items of kinds declared for
    another group (`WorkKind.ranking_group`) are left out."""
    counted = _counted_q()
    apart = kinds_ranked_apart(group) if group is not None else []
    if apart:
        counted &= ~Q(kind__in=apart)
    by = {"street_id": [], "lead_unit_id": []}
    for u in units:
        by["lead_unit_id" if u.kind == UnitKind.DEPARTMENT else "street_id"].append(u.pk)
    zero = dict.fromkeys(_completion_counts(), 0)
    found: dict[int, dict] = {}
    for field_name, ids in by.items():
        if not ids:
            continue
        rows = (
            Appeal.objects.filter(_range_q(start, end), counted, **{f"{field_name}__in": ids})
            .values(field_name)
            .annotate(**_completion_counts())
            .order_by()
        )
        for r in rows:
            found[r.pop(field_name)] = r
    return {u.pk: _completion_dict(found.get(u.pk, zero)) for u in units}


def _completion_dict(row: dict) -> dict:
    return {
        "registered": row["registered"],
        "handled": row["handled"],
        "unhandled": row["registered"] - row["handled"],
        "on_time": row["on_time"],
        "late": row["handled"] - row["on_time"],
        "completion_rate": ratio(row["handled"], row["registered"]),
        "on_time_rate": ratio(row["on_time"], row["handled"]),
        "closed": row["closed"],
        "rectification_rate": ratio(row["closed"], row["registered"]),
        "outcomes": [
            {"key": k, "label": str(label), "count": row[f"outcome_{k}"]}
            for k, label in OutcomeKind.choices
        ],
    }


def completion_counts(done: dict | None) -> dict:
    """The counts of a `completion` dict as a frozen ranking row stores them (None: none)."""
    if done is None:
        return dict.fromkeys(("registered", "handled", "on_time", "closed", "outcomes"))
    return {
        "registered": done["registered"],
        "handled": done["handled"],
        "on_time": done["on_time"],
        "closed": done["closed"],
        "outcomes": {o["key"]: o["count"] for o in done["outcomes"]},
    }


def frozen_completion(row) -> dict | None:
    """A frozen ranking row's completion figures, computed from its frozen counts by the same
    rule as the live ones; None for rows frozen before the counts were."""
    if row.registered is None:
        return None
    outcomes = row.outcomes or {}
    return _completion_dict(
        {
            "registered": row.registered,
            "handled": row.handled,
            "on_time": row.on_time,
            "closed": row.closed,
            **{f"outcome_{k}": int(outcomes.get(k, 0)) for k in OutcomeKind.values},
        }
    )


# --- recount from the event log (check-aggregates) ------------------------------------------


def recount_completion(start: dt.date, end: dt.date) -> dict[int, dict]:
    """The completion counts of [start, end) rebuilt from the event log alone: each item's
    status is the `to_status` of its last status event, its handling time, outcome and
    on-time flag those of its last resolve event. Keyed by unit as `completion_by_unit` (0 = district); only the
    registration time, kind, place, lead unit and deadline are read from the item rows."""
    from minhu.appeals.models import AppealEvent, EventKind

    items = Appeal.objects.filter(_range_q(start, end))
    excluded = unrated_kinds()
    if excluded:
        items = items.exclude(kind__in=excluded)
    rows = {
        pk: (street, lead, lead_kind, due)
        for pk, street, lead, lead_kind, due in items.values_list(
            "pk", "street_id", "lead_unit_id", "lead_unit__kind", "resolve_due_at"
        ).iterator(chunk_size=5000)
    }
    status: dict[int, str] = {}
    resolved: dict[int, tuple] = {}
    events = (
        AppealEvent.objects.filter(appeal__in=items.values("pk"))
        .exclude(to_status="")
        .order_by("appeal_id", "created_at", "id")
        .values_list("appeal_id", "kind", "to_status", "created_at", "data")
    )
    for appeal_id, kind, to_status, at, data in events.iterator(chunk_size=5000):
        status[appeal_id] = to_status
        if kind == EventKind.RESOLVE:
            data = data or {}
            resolved[appeal_id] = (at, data.get("outcome_kind", ""), data.get("on_time"))
    out: dict[int, dict] = {}
    for pk, (street, lead, lead_kind, due) in rows.items():
        final = status.get(pk, "")
        if final == Status.MERGED:
            continue
        keys = [0]
        if street:
            keys.append(street)
        if lead and lead_kind == UnitKind.DEPARTMENT:
            keys.append(lead)
        handled = final in HANDLED_STATUSES and pk in resolved
        at, outcome, flag = resolved.get(pk, (None, "", None))
        # On time as the resolve event said it (its `on_time` flag), else by its time.
        on_time = handled and (flag if flag is not None else (due is None or at <= due))
        counts = {
            "registered": 1,
            "handled": int(handled),
            "on_time": int(handled and on_time),
            "closed": int(final == Status.CLOSED),
            **{f"outcome_{k}": int(handled and outcome == k) for k in OutcomeKind.values},
        }
        for key in keys:
            acc = out.setdefault(key, dict.fromkeys(counts, 0))
            for k, v in counts.items():
                acc[k] += v
    return {k: _completion_dict(v) for k, v in out.items()}


def check_completion(start: dt.date, end: dt.date) -> list[str]:
    """Differences, month by month, between the published completion figures (district and
    every street, town and department) and their recount from the events."""
    units = list(
        Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN, UnitKind.DEPARTMENT])
    )
    names = {u.pk: u.name for u in units}
    names[0] = str(_("全区"))
    problems = []
    month = dt.date(start.year, start.month, 1)
    while month < end:
        nxt = (month + dt.timedelta(days=32)).replace(day=1)
        lo, hi = max(month, start), min(nxt, end)
        published = {0: completion(lo, hi), **completion_by_unit(units, lo, hi)}
        recount = recount_completion(lo, hi)
        empty = _completion_dict(dict.fromkeys([*_completion_counts()], 0))
        for key, figures_now in published.items():
            again = recount.get(key, empty)
            for metric in ("registered", "handled", "on_time", "closed"):
                if figures_now[metric] != again[metric]:
                    problems.append(
                        f"{lo:%Y-%m} {names.get(key, key)} {COMPLETION_METRICS[metric]}: "
                        f"发布 {figures_now[metric]}，按事件重算 {again[metric]}"
                    )
            mine = {o["key"]: o["count"] for o in figures_now["outcomes"]}
            theirs = {o["key"]: o["count"] for o in again["outcomes"]}
            if mine != theirs:
                problems.append(
                    f"{lo:%Y-%m} {names.get(key, key)} 办理结果: 发布 {mine}，按事件重算 {theirs}"
                )
        month = nxt
    return problems
