"""Rankings of streets/towns and of departments by composite score (ties by volume), with the
change against the previous period and the same period last year, and the comparison of a
frozen snapshot with a recomputation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from minhu.appeals.models import FollowUp
from minhu.orgs.models import OUTSIDE_KINDS, Unit, UnitKind

from . import figures, rates
from .models import EvaluationConfig, RankingGroup, RankingRow, RankingSnapshot
from .periods import Period

GROUP_KINDS = {
    RankingGroup.STREET: (UnitKind.STREET, UnitKind.TOWN),
    RankingGroup.DEPARTMENT: (UnitKind.DEPARTMENT,),
    # Outside parties (property companies, social organisations, ...) are ranked among
    # themselves, never against the government's units.
    RankingGroup.PARTY: tuple(sorted(OUTSIDE_KINDS)),
}


def group_units(group: str) -> list[Unit]:
    return list(
        Unit.objects.filter(kind__in=GROUP_KINDS[group], active=True)
        .only("pk", "name", "kind", "path")
        .order_by("path", "name")
    )


def group_of(unit: Unit) -> str | None:
    for group, kinds in GROUP_KINDS.items():
        if unit.kind in kinds:
            return group
    return None


@dataclass
class Row:
    unit_id: int
    unit_name: str
    figures: rates.Figures
    rank: int | None = None
    prev_rank: int | None = None
    prev_composite: Decimal | None = None
    yoy_composite: Decimal | None = None
    yoy_valid: int | None = None
    # 办结率/按时办结率 of the unit's items registered in the period (figures.completion).
    completion: dict | None = None

    @property
    def rank_change(self) -> int | None:
        """Positive: moved up."""
        if self.rank is None or self.prev_rank is None:
            return None
        return self.prev_rank - self.rank

    @property
    def composite_change(self) -> Decimal | None:
        if self.figures.composite is None or self.prev_composite is None:
            return None
        return self.figures.composite - self.prev_composite

    @property
    def yoy_change(self) -> Decimal | None:
        if self.figures.composite is None or self.yoy_composite is None:
            return None
        return self.figures.composite - self.yoy_composite

    def as_dict(self) -> dict:
        def s(v):
            return None if v is None else str(v)

        return {
            "unit": self.unit_id,
            "unit_name": self.unit_name,
            "rank": self.rank,
            **self.figures.as_dict(),
            "prev_rank": self.prev_rank,
            "rank_change": self.rank_change,
            "prev_composite": s(self.prev_composite),
            "composite_change": s(self.composite_change),
            "yoy_composite": s(self.yoy_composite),
            "yoy_change": s(self.yoy_change),
            **(
                {
                    "registered": self.completion["registered"],
                    "handled": self.completion["handled"],
                    "on_time": self.completion["on_time"],
                    "completion_rate": s(self.completion["completion_rate"]),
                    "on_time_rate": s(self.completion["on_time_rate"]),
                    "closed": self.completion["closed"],
                    "rectification_rate": s(self.completion["rectification_rate"]),
                    "outcomes": {o["key"]: o["count"] for o in self.completion["outcomes"]},
                }
                if self.completion is not None
                else {}
            ),
        }


def order_and_rank(rows: list[Row], config: EvaluationConfig) -> list[Row]:
    """Composite descending, ties by volume (valid follow-ups) descending; equal composite and
    volume share a rank. Units under the minimum volume are listed last, unranked."""

    def rankable(r: Row) -> bool:
        return r.figures.composite is not None and r.figures.valid >= max(
            1, config.min_valid_for_ranking
        )

    ranked = sorted(
        (r for r in rows if rankable(r)),
        key=lambda r: (-r.figures.composite, -r.figures.valid, r.unit_name),
    )
    rest = sorted((r for r in rows if not rankable(r)), key=lambda r: r.unit_name)
    prev_key, prev_rank = None, 0
    for i, r in enumerate(ranked, start=1):
        key = (r.figures.composite, r.figures.valid)
        r.rank = prev_rank if key == prev_key else i
        prev_key, prev_rank = key, r.rank
    for r in rest:
        r.rank = None
    return ranked + rest


def compute(
    period: Period, group: str, config: EvaluationConfig, cache: dict | None = None
) -> list[Row]:
    """A live ranking (no comparison)."""
    units = group_units(group)
    figs = rates.figures_for_units(units, period, config, cache, group=group)
    return order_and_rank([Row(u.pk, u.name, figs[u.pk]) for u in units], config)


def published(period: Period, group: str) -> RankingSnapshot | None:
    return (
        RankingSnapshot.objects.filter(period=period.key, group=group, superseded=False)
        .order_by("-version")
        .first()
    )


def _reference(
    period: Period, group: str, config: EvaluationConfig, cache: dict | None = None
) -> dict[int, tuple]:
    """unit -> (rank, composite, valid) for a comparison period: its published snapshot when
    there is one (the official figures), else a live computation."""
    snap = published(period, group)
    if snap is not None:
        return {
            r.unit_id: (r.rank, r.composite, r.valid)
            for r in snap.rows.only("unit_id", "rank", "composite", "valid")
        }
    return {
        r.unit_id: (r.rank, r.figures.composite, r.figures.valid)
        for r in compute(period, group, config, cache)
    }


def ranking(
    period: Period, group: str, config: EvaluationConfig, cache: dict | None = None
) -> list[Row]:
    """The live ranking with its change against last period and the same period last year.
    Pass one `cache` dict when ranking several groups of the same period."""
    cache = {} if cache is None else cache
    rows = compute(period, group, config, cache)
    prev = _reference(period.previous, group, config, cache)
    yoy = _reference(period.year_ago, group, config, cache)
    done = figures.completion_by_unit(
        group_units(group), period.first_day, period.end_day, group=group
    )
    for r in rows:
        r.completion = done.get(r.unit_id)
        if r.unit_id in prev:
            r.prev_rank, r.prev_composite, _prev_valid = prev[r.unit_id]
        if r.unit_id in yoy:
            _yoy_rank, r.yoy_composite, r.yoy_valid = yoy[r.unit_id]
    return rows


def snapshot_rows(snapshot: RankingSnapshot) -> list[Row]:
    out = []
    for r in snapshot.rows.all():
        out.append(
            Row(
                r.unit_id,
                r.unit_name,
                rates.Figures(
                    valid=r.valid,
                    response_yes=r.response_yes,
                    response_base=r.response_base,
                    solved=r.solved,
                    satisfied=r.satisfied,
                    basic=r.basic,
                    unsatisfied=r.unsatisfied,
                    response_rate=r.response_rate,
                    solve_rate=r.solve_rate,
                    satisfaction_rate=r.satisfaction_rate,
                    composite=r.composite,
                ),
                rank=r.rank,
                completion=figures.frozen_completion(r),
            )
        )
    return out


def row_model(snapshot: RankingSnapshot, r: Row) -> RankingRow:
    f = r.figures
    return RankingRow(
        snapshot=snapshot,
        unit_id=r.unit_id,
        unit_name=r.unit_name,
        rank=r.rank,
        valid=f.valid,
        response_yes=f.response_yes,
        response_base=f.response_base,
        solved=f.solved,
        satisfied=f.satisfied,
        basic=f.basic,
        unsatisfied=f.unsatisfied,
        response_rate=f.response_rate,
        solve_rate=f.solve_rate,
        satisfaction_rate=f.satisfaction_rate,
        composite=f.composite,
        **figures.completion_counts(r.completion),
    )


def config_from_snapshot(data: dict) -> EvaluationConfig:
    fields = {k: v for k, v in data.items() if k != "name"}
    for k in ("weight_response", "weight_solved", "weight_satisfaction", "basic_weight"):
        if k in fields:
            fields[k] = Decimal(fields[k])
    return EvaluationConfig(name=data.get("name", ""), **fields)


# --- explaining a recomputation -------------------------------------------------------------


@dataclass
class UnitDifference:
    unit_id: int
    unit_name: str
    frozen: rates.Figures
    live: rates.Figures
    frozen_rank: int | None
    live_rank: int | None
    late: list[FollowUp] = field(default_factory=list)
    removed: int = 0

    @property
    def changed(self) -> bool:
        keys = ("valid", "response_yes", "response_base", "solved", "satisfied", "basic")
        return self.frozen_rank != self.live_rank or any(
            getattr(self.frozen, k) != getattr(self.live, k) for k in keys
        )


def _config_label(key: str) -> str:
    """A configuration field's name as users know it (its verbose name)."""
    try:
        return str(EvaluationConfig._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return key


@dataclass
class Difference:
    snapshot: RankingSnapshot
    units: list[UnitDifference]
    late_total: int
    config_changes: list[tuple[str, object, object]]
    current_rows: list[Row]

    @property
    def changed(self) -> bool:
        return any(u.changed for u in self.units) or bool(self.config_changes)

    def summary(self) -> list[str]:
        lines = []
        if self.late_total:
            lines.append(_("冻结后新增 %(n)d 条归属本期的有效回访") % {"n": self.late_total})
        removed = sum(u.removed for u in self.units)
        if removed:
            lines.append(
                _("冻结后有 %(n)d 条回访已不在统计范围（诉求被删除或单位调整）") % {"n": removed}
            )
        for key, old, new in self.config_changes:
            lines.append(
                _("考核规则「%(key)s」由 %(old)s 改为 %(new)s")
                % {"key": _config_label(key), "old": old, "new": new}
            )
        if not lines:
            lines.append(_("重新计算结果与冻结快照一致"))
        return lines


def late_follow_ups(snapshot: RankingSnapshot, config: EvaluationConfig) -> QuerySet[FollowUp]:
    """Valid follow-ups attributed to the snapshot's period that were recorded after it was
    frozen."""
    start = snapshot.period_start
    end = snapshot.period_end
    from django.utils import timezone

    qs = rates.drilldown(
        timezone.localtime(start).date(), timezone.localtime(end).date(), config, "valid"
    )
    return qs.filter(pk__gt=snapshot.max_follow_up_id)


def explain_difference(snapshot: RankingSnapshot, current_config: EvaluationConfig) -> Difference:
    """Recompute the snapshot's period with the rules it was frozen with, and say unit by unit
    what changed and why: follow-ups recorded after the freeze (listed), follow-ups gone, and
    any change of the rules since (shown separately: the recomputation uses the frozen rules)."""
    config = config_from_snapshot(snapshot.config)
    period = Period(snapshot.period, config.period_start_day)
    frozen_rows = {r.unit_id: r for r in snapshot_rows(snapshot)}
    units = list(Unit.objects.filter(pk__in=frozen_rows.keys()))
    units += [u for u in group_units(snapshot.group) if u.pk not in frozen_rows]
    figs = rates.figures_for_units(units, period, config, group=snapshot.group)
    live_rows = order_and_rank([Row(u.pk, u.name, figs[u.pk]) for u in units], config)
    live = {r.unit_id: r for r in live_rows}
    paths = rates.unit_paths()
    owner: dict[int, int] = {}
    for u in units:
        for m in rates.members(u, config, paths):
            owner.setdefault(m, u.pk)
    late_by_unit: dict[int, list[FollowUp]] = defaultdict(list)
    late = list(late_follow_ups(snapshot, config))
    for fu in late:
        if fu.unit_id in owner:
            late_by_unit[owner[fu.unit_id]].append(fu)
    diffs = []
    for u in units:
        f_row = frozen_rows.get(u.pk)
        frozen = f_row.figures if f_row else rates.Figures()
        lr = live[u.pk]
        d = UnitDifference(
            u.pk,
            u.name,
            frozen,
            lr.figures,
            f_row.rank if f_row else None,
            lr.rank,
            late=late_by_unit.get(u.pk, []),
        )
        d.removed = max(0, frozen.valid + len(d.late) - lr.figures.valid)
        diffs.append(d)
    diffs.sort(key=lambda d: (d.frozen_rank is None, d.frozen_rank or 0, d.unit_name))
    old_cfg, new_cfg = snapshot.config, current_config.as_dict()
    changes = [
        (k, old_cfg.get(k), new_cfg.get(k))
        for k in new_cfg
        if k != "name" and str(old_cfg.get(k)) != str(new_cfg.get(k))
    ]
    current_rows = compute(period, snapshot.group, current_config) if changes else live_rows
    late_total = sum(len(v) for v in late_by_unit.values())
    return Difference(snapshot, diffs, late_total, changes, current_rows)
