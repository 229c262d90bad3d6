"""Coverage (入户率) and the four problem counts of seed 004, per level, as grouped queries
over the assignment and problem rows (indexed by campaign and grid), rolled up the unit tree
in Python: the number of grids is small, the households are not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from minhu.appeals.models import Status
from minhu.orgs.models import Unit, UnitKind

from .models import Assignment, AssignmentState, Campaign, Resolution, VisitProblem

LEVELS = {
    "grid": (UnitKind.GRID,),
    "community": (UnitKind.COMMUNITY, UnitKind.VILLAGE),
    "street": (UnitKind.STREET, UnitKind.TOWN),
}


@dataclass
class Row:
    key: int
    name: str
    households: int = 0
    reached: int = 0
    again: int = 0
    problems: int = 0
    on_spot: int = 0
    coordinating: int = 0
    closed: int = 0

    @property
    def todo(self) -> int:
        return self.households - self.reached

    @property
    def rate(self) -> float:
        return round(100.0 * self.reached / self.households, 1) if self.households else 0.0

    def add(self, other: Row) -> None:
        for f in (
            "households",
            "reached",
            "again",
            "problems",
            "on_spot",
            "coordinating",
            "closed",
        ):
            setattr(self, f, getattr(self, f) + getattr(other, f))


def _counts(campaign: Campaign, by: str, filters: Q) -> dict[int, Row]:
    rows: dict[int, Row] = {}
    grid_filter = filters
    for key, total, reached, again in (
        Assignment.objects.filter(filters, campaign=campaign)
        .values_list(by)
        .annotate(
            n=Count("id"),
            r=Count("id", filter=Q(state=AssignmentState.DONE)),
            a=Count("id", filter=Q(state=AssignmentState.AGAIN)),
        )
        .values_list(by, "n", "r", "a")
        .order_by()
    ):
        rows[key] = Row(key=key, name="", households=total, reached=reached, again=again)
    problem_by = {
        "grid_id": "grid_id",
        "visitor_id": "visit__visitor_id",
        "unit_id": "visit__assignment__unit_id",
    }[by]
    for key, n, spot, closed in (
        VisitProblem.objects.filter(grid_filter, campaign=campaign)
        .values_list(problem_by)
        .annotate(
            n=Count("id"),
            s=Count("id", filter=Q(resolution=Resolution.ON_SPOT)),
            c=Count("id", filter=Q(appeal__status=Status.CLOSED)),
        )
        .values_list(problem_by, "n", "s", "c")
        .order_by()
    ):
        row = rows.setdefault(key, Row(key=key, name=""))
        row.problems, row.on_spot, row.closed = n, spot, closed
        row.coordinating = n - spot - closed
    return rows


def coverage(
    campaign: Campaign, level: str = "grid", within: Unit | None = None
) -> tuple[list[Row], Row]:
    """Rows per grid / community / street(town), or per visitor / unit, and the total;
    `within` keeps only the grids under one unit (drilling down from a street)."""
    where = Q()
    if within is not None:
        where = Q(grid_id__in=Unit.objects.filter(path__startswith=within.path).values("pk"))
    if level == "visitor":
        from django.contrib.auth import get_user_model

        rows = _counts(campaign, "visitor_id", where)
        names = {
            u.pk: u.display_name or u.username
            for u in get_user_model().objects.filter(pk__in=rows).only("display_name", "username")
        }
        for r in rows.values():
            r.name = names.get(r.key, "")
        out = sorted(rows.values(), key=lambda r: r.name)
    elif level == "unit":
        rows = _counts(campaign, "unit_id", where)
        names = dict(Unit.objects.filter(pk__in=rows).values_list("pk", "name"))
        for r in rows.values():
            r.name = names.get(r.key, "")
        out = sorted(rows.values(), key=lambda r: r.name)
    else:
        by_grid = _counts(campaign, "grid_id", where)
        grids = {u.pk: u for u in Unit.objects.filter(pk__in=by_grid).only("name", "path")}
        if level == "grid":
            for r in by_grid.values():
                r.name = grids[r.key].name if r.key in grids else ""
            out = sorted(
                by_grid.values(), key=lambda r: grids[r.key].path if r.key in grids else ""
            )
        else:
            kinds = LEVELS.get(level, LEVELS["street"])
            ancestor_ids = {
                int(p) for g in grids.values() for p in g.path.strip("/").split("/") if p
            }
            ups = {
                u.pk: u
                for u in Unit.objects.filter(pk__in=ancestor_ids, kind__in=kinds).only(
                    "name", "path"
                )
            }
            grouped: dict[int, Row] = {}
            for gid, r in by_grid.items():
                path_ids = [int(p) for p in grids[gid].path.strip("/").split("/") if p]
                up = next((i for i in reversed(path_ids) if i in ups), None)
                if up is None:
                    continue
                row = grouped.setdefault(up, Row(key=up, name=ups[up].name))
                row.add(r)
            out = sorted(grouped.values(), key=lambda r: ups[r.key].path)
    total = Row(key=0, name="合计")
    for r in out:
        total.add(r)
    return out, total


def daily(campaign: Campaign, filters: Q | None = None) -> dict:
    """Visits per day and outcome (the town's daily visit ledger)."""
    from django.db.models.functions import TruncDate

    from .models import Visit

    qs = Visit.objects.filter(campaign=campaign)
    if filters is not None:
        qs = qs.filter(filters)
    out: dict = defaultdict(lambda: defaultdict(int))
    for day, outcome, n in (
        qs.annotate(day=TruncDate("visited_at"))
        .values_list("day", "outcome")
        .annotate(n=Count("id"))
        .values_list("day", "outcome", "n")
        .order_by()
    ):
        out[day][outcome] = n
    return out
