"""The three rates (响应率, 解决率, 满意率) and the composite score, per unit and period.

Every figure is a count of follow-up answers (FollowUp rows), and `metric_q` gives, for each
count, the exact filter that selects the rows behind it: the drill-down pages list them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals.kinds import kinds_ranked_apart
from minhu.appeals.models import FollowUp
from minhu.core.errors import InvalidInput
from minhu.orgs.models import Unit, UnitKind

from . import aggregates
from .models import Attribution, EvaluationConfig, UnknownContact
from .periods import Period

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ROLL_UP_KINDS = {UnitKind.STREET, UnitKind.TOWN}

# The counts a figure is made of; each has a drill-down filter in metric_q.
METRICS = {
    "valid": gettext_lazy("有效回访"),
    "response_yes": gettext_lazy("及时联系"),
    "response_no": gettext_lazy("未及时联系"),
    "response_base": gettext_lazy("响应率统计基数"),
    "solved": gettext_lazy("已解决"),
    "unsolved": gettext_lazy("未解决"),
    "satisfied": gettext_lazy("满意"),
    "basic": gettext_lazy("基本满意"),
    "unsatisfied": gettext_lazy("不满意"),
    "unreached": gettext_lazy("未接通"),
}


def q2(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    valid: int = 0
    response_yes: int = 0
    response_base: int = 0
    solved: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    unreached: int = 0
    response_rate: Decimal | None = None
    solve_rate: Decimal | None = None
    satisfaction_rate: Decimal | None = None
    composite: Decimal | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("response_rate", "solve_rate", "satisfaction_rate", "composite"):
            d[k] = None if d[k] is None else str(d[k])
        return d


def compute(counts: list[int], config: EvaluationConfig) -> Figures:
    """Rates from summed counts [reached, unreached, contacted_yes, contacted_no, solved_yes,
    satisfied, basic, unsatisfied] of the valid sources."""
    reached, unreached, c_yes, c_no, solved, sat, basic, unsat = counts
    valid = reached + (unreached if config.unreached_is_valid else 0)
    if config.unknown_contact == UnknownContact.AS_NO:
        base = valid
    else:
        base = c_yes + c_no + (unreached if config.unreached_is_valid else 0)
    f = Figures(
        valid=valid,
        response_yes=c_yes,
        response_base=base,
        solved=solved,
        satisfied=sat,
        basic=basic,
        unsatisfied=unsat,
        unreached=unreached,
    )
    exact: dict[str, Decimal | None] = {"r": None, "s": None, "t": None}
    if base:
        exact["r"] = Decimal(c_yes) * HUNDRED / base
    if valid:
        exact["s"] = Decimal(solved) * HUNDRED / valid
        exact["t"] = (Decimal(sat) + Decimal(config.basic_weight) * basic) * HUNDRED / valid
    f.response_rate, f.solve_rate, f.satisfaction_rate = (
        q2(exact["r"]),
        q2(exact["s"]),
        q2(exact["t"]),
    )
    weights = {
        "r": Decimal(config.weight_response),
        "s": Decimal(config.weight_solved),
        "t": Decimal(config.weight_satisfaction),
    }
    present = {k: w for k, w in weights.items() if exact[k] is not None}
    total_w = sum(present.values(), Decimal(0))
    if present and total_w > 0:
        # A rate without a base (e.g. no answer said whether the unit called in time) gives its
        # weight to the others in proportion.
        f.composite = q2(sum(exact[k] * w for k, w in present.items()) / total_w)
    return f


def _sum_sources(
    raw: dict[tuple[int, str], list[int]], config: EvaluationConfig
) -> dict[int, list[int]]:
    sources = set(config.valid_sources or [])
    out: dict[int, list[int]] = {}
    for (unit_id, source), counts in raw.items():
        if source not in sources:
            continue
        acc = out.setdefault(unit_id, [0] * len(counts))
        for i, v in enumerate(counts):
            acc[i] += v
    return out


def _without(counts: dict[int, list[int]], minus: dict[int, list[int]]) -> dict[int, list[int]]:
    """Per-unit counts less another set of per-unit counts."""
    out = {u: list(c) for u, c in counts.items()}
    for u, sub in minus.items():
        acc = out.setdefault(u, [0] * len(sub))
        for i, v in enumerate(sub):
            acc[i] -= v
    return out


def unit_paths() -> list[tuple[int, str]]:
    return list(Unit.objects.values_list("pk", "path"))


def members(unit: Unit, config: EvaluationConfig, paths: Iterable[tuple[int, str]] | None = None):
    """Unit ids whose follow-ups count for `unit` (its subtree for streets/towns if roll_up)."""
    if config.roll_up and unit.kind in ROLL_UP_KINDS:
        if paths is not None:
            return {pk for pk, path in paths if path.startswith(unit.path)}
        return set(unit.subtree().values_list("pk", flat=True))
    return {unit.pk}


def basis_of(config: EvaluationConfig) -> str:
    return "a" if config.attribution == Attribution.APPEAL else "f"


def figures_for_units(
    units: list[Unit],
    period: Period | tuple[dt.date, dt.date],
    config: EvaluationConfig,
    cache: dict | None = None,
    group: str | None = None,
) -> dict[int, Figures]:
    """Figures for each unit over a period (or a [start, end) date range). `cache` (a dict
    living for one request) shares the counts between the groups of one page. With a ranking
    `group`, the follow-ups of kinds declared for another group (`WorkKind.ranking_group`)
    are left out."""
    start, end = (period.first_day, period.end_day) if isinstance(period, Period) else period
    cache = {} if cache is None else cache
    if "paths" not in cache:
        cache["paths"] = unit_paths()
    paths = cache["paths"]
    member_map = {u.pk: members(u, config, paths) for u in units}
    key = (start, end, basis_of(config))
    if key not in cache:
        cache[key] = _sum_sources(aggregates.follow_up_counts(start, end, key[2]), config)
    per_unit = cache[key]
    apart = kinds_ranked_apart(group) if group is not None else []
    if apart:
        apart_key = (*key, tuple(apart))
        if apart_key not in cache:
            cache[apart_key] = _without(
                per_unit,
                _sum_sources(aggregates.follow_up_counts(start, end, key[2], kinds=apart), config),
            )
        per_unit = cache[apart_key]
    out = {}
    for u in units:
        acc = [0] * len(aggregates.FU_FIELDS)
        for m in member_map[u.pk]:
            for i, v in enumerate(per_unit.get(m, ())):
                acc[i] += v
        out[u.pk] = compute(acc, config)
    return out


def figures_total(
    start: dt.date, end: dt.date, config: EvaluationConfig, unit: Unit | None = None
) -> Figures:
    """District-wide (unit None) or one unit's figures over [start, end)."""
    ids = members(unit, config) if unit is not None else None
    per_unit = _sum_sources(aggregates.follow_up_counts(start, end, basis_of(config), ids), config)
    acc = [0] * len(aggregates.FU_FIELDS)
    for counts in per_unit.values():
        for i, v in enumerate(counts):
            acc[i] += v
    return compute(acc, config)


# --- drill-down -----------------------------------------------------------------------------


def valid_q(config: EvaluationConfig) -> Q:
    q = Q(source__in=list(config.valid_sources or []))
    if not config.unreached_is_valid:
        q &= Q(reached=True)
    return q


def metric_q(metric: str, config: EvaluationConfig) -> Q:
    """The filter selecting exactly the follow-ups counted in `metric` (see METRICS)."""
    valid = valid_q(config)
    if config.unknown_contact == UnknownContact.AS_NO:
        base = valid
    else:
        base = valid & (Q(contacted__isnull=False) | Q(reached=False))
    qs = {
        "valid": valid,
        "response_base": base,
        "response_yes": valid & Q(contacted=True),
        "response_no": base & ~Q(contacted=True),
        "solved": valid & Q(reached=True, solved=True),
        "unsolved": valid & ~Q(reached=True, solved=True),
        "satisfied": valid & Q(reached=True, satisfaction="satisfied"),
        "basic": valid & Q(reached=True, satisfaction="basic"),
        "unsatisfied": valid & Q(reached=True, satisfaction="unsatisfied"),
        "unreached": Q(source__in=list(config.valid_sources or []), reached=False),
    }
    if metric not in qs:
        raise InvalidInput(_("指标不正确"), code="invalid_metric", field="metric")
    return qs[metric]


def period_q(start: dt.date, end: dt.date, config: EvaluationConfig) -> Q:
    lo, hi = aggregates.local_start(start), aggregates.local_start(end)
    if config.attribution == Attribution.APPEAL:
        return Q(appeal__created_at__gte=lo, appeal__created_at__lt=hi)
    return Q(created_at__gte=lo, created_at__lt=hi)


def drilldown(
    start: dt.date,
    end: dt.date,
    config: EvaluationConfig,
    metric: str = "valid",
    unit: Unit | None = None,
) -> QuerySet[FollowUp]:
    """The follow-ups behind one figure, with their appeals, newest first."""
    qs = FollowUp.objects.filter(period_q(start, end, config) & metric_q(metric, config))
    if unit is not None:
        qs = qs.filter(unit_id__in=members(unit, config))
    return qs.select_related("appeal", "unit", "appeal__category").order_by("-created_at", "-id")
