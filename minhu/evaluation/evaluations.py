"""群众评服务, 企业评政府 and 基层评机关 (双维度评价): per-unit results for a period.

Satisfaction rates use the same rule as the follow-up rate: (满意 + basic_weight × 基本满意) / all
answers, in percent. Public ratings (企业评政府, 群众评服务) count only when verified (an SMS-proven
phone or the enterprise's own appeal, `residents.models.Verification`); the unverified ones are
counted in `Score.unverified`, shown beside the rate, and never move it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from minhu.orgs.models import Unit

from .models import DepartmentReview, EvaluationConfig
from .periods import Period
from .rates import HUNDRED, q2


@dataclass
class Score:
    unit_id: int
    unit_name: str
    total: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    negatives: int = 0
    negative_items: dict[str, int] = field(default_factory=dict)
    details: dict[str, dict] = field(default_factory=dict)
    rate: Decimal | None = None
    unverified: int = 0

    def finish(self, config: EvaluationConfig) -> Score:
        if self.total:
            self.rate = q2(
                (Decimal(self.satisfied) + Decimal(config.basic_weight) * self.basic)
                * HUNDRED
                / self.total
            )
        return self


def _sat_counts() -> dict:
    return {
        "total": Count("id"),
        "satisfied": Count("id", filter=Q(satisfaction="satisfied")),
        "basic": Count("id", filter=Q(satisfaction="basic")),
        "unsatisfied": Count("id", filter=Q(satisfaction="unsatisfied")),
    }


VERIFIED = ~Q(verified="")


def _rating_counts() -> dict:
    """_sat_counts of the verified public ratings, and the count of the unverified ones."""
    return {
        "total": Count("id", filter=VERIFIED),
        "satisfied": Count("id", filter=VERIFIED & Q(satisfaction="satisfied")),
        "basic": Count("id", filter=VERIFIED & Q(satisfaction="basic")),
        "unsatisfied": Count("id", filter=VERIFIED & Q(satisfaction="unsatisfied")),
        "unverified": Count("id", filter=Q(verified="")),
    }


def department_reviews(period: Period, config: EvaluationConfig) -> list[Score]:
    """基层评机关: each department's satisfaction (dimension 1) and negative-list count
    (dimension 2) from the streets' and towns' reviews of the period."""
    names = dict(Unit.objects.filter(kind="department").values_list("pk", "name"))
    scores: dict[int, Score] = {}
    rows = (
        DepartmentReview.objects.filter(period=period.key)
        .values("department_id")
        .annotate(**_sat_counts())
        .order_by()
    )
    for r in rows:
        s = Score(r["department_id"], names.get(r["department_id"], str(r["department_id"])))
        s.total, s.satisfied, s.basic, s.unsatisfied = (
            r["total"],
            r["satisfied"],
            r["basic"],
            r["unsatisfied"],
        )
        scores[s.unit_id] = s
    through = DepartmentReview.indicators.through
    for r in (
        through.objects.filter(departmentreview__period=period.key)
        .values("departmentreview__department_id", "negativeindicator__name")
        .annotate(n=Count("id"))
        .order_by()
    ):
        s = scores.get(r["departmentreview__department_id"])
        if s is not None:
            s.negatives += r["n"]
            s.negative_items[r["negativeindicator__name"]] = r["n"]
    return sorted(
        (s.finish(config) for s in scores.values()),
        key=lambda s: (s.rate is None, -(s.rate or 0), s.negatives, s.unit_name),
    )


def enterprise_ratings(period: Period, config: EvaluationConfig) -> list[Score]:
    """企业评政府: departments rated by enterprises through the business-environment code."""
    from minhu.residents.models import ENTERPRISE_INDICATORS, EnterpriseRating

    qs = EnterpriseRating.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    scores: dict[int, Score] = {}
    for r in qs.values("department_id", "department__name").annotate(**_rating_counts()).order_by():
        s = Score(r["department_id"], r["department__name"])
        s.total, s.satisfied, s.basic, s.unsatisfied, s.unverified = (
            r["total"],
            r["satisfied"],
            r["basic"],
            r["unsatisfied"],
            r["unverified"],
        )
        scores[s.unit_id] = s
    per_ind: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    verified = qs.filter(VERIFIED).values_list("department_id", "indicators")
    for dept_id, indicators in verified.iterator():
        for key, value in (indicators or {}).items():
            per_ind[dept_id][key][value] += 1
    for dept_id, inds in per_ind.items():
        s = scores.get(dept_id)
        if s is None:
            continue
        for key, counts in inds.items():
            total = sum(counts.values())
            rate = None
            if total:
                rate = q2(
                    (
                        Decimal(counts.get("satisfied", 0))
                        + Decimal(config.basic_weight) * counts.get("basic", 0)
                    )
                    * HUNDRED
                    / total
                )
            s.details[str(ENTERPRISE_INDICATORS.get(key, key))] = {"total": total, "rate": rate}
    return sorted(
        (s.finish(config) for s in scores.values()),
        key=lambda s: (s.rate is None, -(s.rate or 0), s.unit_name),
    )


def service_ratings(period: Period, config: EvaluationConfig) -> list[Score]:
    """群众评服务: scan-to-rate at service halls, per unit the hall belongs to."""
    from minhu.residents.models import ServiceRating

    qs = ServiceRating.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    out = []
    units = qs.values("point__unit_id", "point__unit__name").annotate(**_rating_counts())
    for r in units.order_by():
        s = Score(r["point__unit_id"], r["point__unit__name"])
        s.total, s.satisfied, s.basic, s.unsatisfied, s.unverified = (
            r["total"],
            r["satisfied"],
            r["basic"],
            r["unsatisfied"],
            r["unverified"],
        )
        out.append(s.finish(config))
    halls = (
        qs.values("point_id", "point__name", "point__unit_id")
        .annotate(**_rating_counts())
        .order_by()
    )
    by_unit = {s.unit_id: s for s in out}
    for h in halls:
        s = by_unit.get(h["point__unit_id"])
        if s is not None:
            hs = Score(h["point_id"], h["point__name"], h["total"], h["satisfied"], h["basic"])
            hs.unsatisfied = h["unsatisfied"]
            s.details[h["point__name"]] = {
                "total": hs.total,
                "rate": hs.finish(config).rate,
                "unverified": h["unverified"],
            }
    return sorted(out, key=lambda s: (s.rate is None, -(s.rate or 0), s.unit_name))
