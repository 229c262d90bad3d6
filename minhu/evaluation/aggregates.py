"""Pre-aggregated daily counts (AppealDaily, FollowUpDaily).

Reads combine both sources: days before `AggregateState.covered_until` come from the aggregate
tables, later days (normally just today) are counted live from the raw rows, by the same
grouping code. `refresh()` (command `minhu aggregate`, run every few minutes) reads the appeal
event log since its last watermark, recomputes every day those events touched (the days the
touched appeals were registered on and the days of new follow-ups) and moves the watermark.
Paths that write history in the past (import, `minhu generate`) refresh their own days.
`check()` (command `minhu check-aggregates`) recounts everything from the raw rows and events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from minhu.appeals.kinds import unrated_kinds
from minhu.appeals.models import Appeal, AppealEvent, EventKind, FollowUp
from minhu.orgs.models import UnitKind

from .models import AggregateState, AppealDaily, FollowUpDaily

STATE = "main"
MARGIN = dt.timedelta(minutes=10)
FU_FIELDS = (
    "reached",
    "unreached",
    "contacted_yes",
    "contacted_no",
    "solved_yes",
    "satisfied",
    "basic",
    "unsatisfied",
)


def local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


def _fu_annotations() -> dict:
    """Named n_<field>: an annotation named like a model field (reached) would shadow it."""
    return {
        "n_reached": Count("id", filter=Q(reached=True)),
        "n_unreached": Count("id", filter=Q(reached=False)),
        "n_contacted_yes": Count("id", filter=Q(reached=True, contacted=True)),
        "n_contacted_no": Count("id", filter=Q(reached=True, contacted=False)),
        "n_solved_yes": Count("id", filter=Q(reached=True, solved=True)),
        "n_satisfied": Count("id", filter=Q(reached=True, satisfaction="satisfied")),
        "n_basic": Count("id", filter=Q(reached=True, satisfaction="basic")),
        "n_unsatisfied": Count("id", filter=Q(reached=True, satisfaction="unsatisfied")),
    }


def _fu_raw(start: dt.date, end: dt.date, basis: str, kinds: list[str] | None = None) -> QuerySet:
    """Follow-ups attributed to days [start, end) grouped by (day, unit, source); only those
    of work-item `kinds` when given."""
    if basis == "a":
        qs = FollowUp.objects.filter(
            appeal__created_at__gte=local_start(start), appeal__created_at__lt=local_start(end)
        ).annotate(d=TruncDate("appeal__created_at"))
    else:
        qs = FollowUp.objects.filter(
            created_at__gte=local_start(start), created_at__lt=local_start(end)
        ).annotate(d=TruncDate("created_at"))
    excluded = unrated_kinds()  # work-item kinds outside the three rates (none by default)
    if excluded:
        qs = qs.exclude(appeal__kind__in=excluded)
    if kinds is not None:
        qs = qs.filter(appeal__kind__in=kinds)
    return qs.values("d", "unit_id", "source").annotate(**_fu_annotations()).order_by()


def _appeal_raw(start: dt.date, end: dt.date, extra: Q | None = None) -> QuerySet:
    qs = Appeal.objects.filter(created_at__gte=local_start(start), created_at__lt=local_start(end))
    if extra is not None:
        qs = qs.filter(extra)
    return (
        qs.annotate(d=TruncDate("created_at"), lead_kind=F("lead_unit__kind"))
        .values("d", "street_id", "lead_unit_id", "lead_kind", "channel", "category_id", "grid_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def rollup_appeals(rows: Iterable[dict]) -> dict[tuple, int]:
    """(day, scope_id, dim, key) -> count from raw grouped appeal rows."""
    out: dict[tuple, int] = defaultdict(int)
    for r in rows:
        day, n = _as_date(r["d"]), r["n"]
        street = r["street_id"]
        cells = [
            (0, "total", ""),
            (0, "channel", r["channel"]),
            (0, "category", str(r["category_id"] or "")),
            (0, "grid", str(r["grid_id"] or "")),
            (0, "street", str(street or "")),
        ]
        if street:
            cells += [
                (street, "total", ""),
                (street, "channel", r["channel"]),
                (street, "category", str(r["category_id"] or "")),
                (street, "grid", str(r["grid_id"] or "")),
            ]
        if r["lead_unit_id"] and r["lead_kind"] == UnitKind.DEPARTMENT:
            lead = r["lead_unit_id"]
            cells += [
                (lead, "total", ""),
                (lead, "channel", r["channel"]),
                (lead, "category", str(r["category_id"] or "")),
                (lead, "street", str(street or "")),
            ]
        for scope, dim, key in cells:
            out[(day, scope, dim, key)] += n
    return out


def _day_chunks(days: Iterable[dt.date], span: int = 31) -> list[tuple[dt.date, dt.date]]:
    """Contiguous [start, end) ranges covering the given days, at most `span` days each."""
    ordered = sorted(set(days))
    chunks: list[tuple[dt.date, dt.date]] = []
    for d in ordered:
        if chunks and d == chunks[-1][1] and (d - chunks[-1][0]).days < span:
            chunks[-1] = (chunks[-1][0], d + dt.timedelta(days=1))
        else:
            chunks.append((d, d + dt.timedelta(days=1)))
    return chunks


# PostgreSQL: the same rollup as rollup_appeals() and _fu_raw(), set-based (INSERT ... SELECT).
# check() recounts with the Python code, so the two paths are verified against each other.
_PG_APPEAL_CELLS = [
    ("0", "'total'", "''", ""),
    ("0", "'channel'", "channel", "channel"),
    ("0", "'category'", "COALESCE(category_id::text, '')", "category_id"),
    ("0", "'grid'", "COALESCE(grid_id::text, '')", "grid_id"),
    ("0", "'street'", "COALESCE(street_id::text, '')", "street_id"),
    ("street_id", "'total'", "''", "street_id"),
    ("street_id", "'channel'", "channel", "street_id, channel"),
    ("street_id", "'category'", "COALESCE(category_id::text, '')", "street_id, category_id"),
    ("street_id", "'grid'", "COALESCE(grid_id::text, '')", "street_id, grid_id"),
    ("lead_unit_id", "'total'", "''", "lead_unit_id"),
    ("lead_unit_id", "'channel'", "channel", "lead_unit_id, channel"),
    ("lead_unit_id", "'category'", "COALESCE(category_id::text, '')", "lead_unit_id, category_id"),
    ("lead_unit_id", "'street'", "COALESCE(street_id::text, '')", "lead_unit_id, street_id"),
]


def _refresh_chunk_pg(start: dt.date, end: dt.date) -> int:
    tz = timezone.get_current_timezone_name()
    lo, hi = local_start(start), local_start(end)
    selects = []
    for scope, dim, key, group in _PG_APPEAL_CELLS:
        where = ""
        if scope == "street_id":
            where = "WHERE street_id IS NOT NULL"
        elif scope == "lead_unit_id":
            where = "WHERE lead_unit_id IS NOT NULL AND lead_kind = 'department'"
        by = "d" + (", " + group if group else "")
        selects.append(f"SELECT d, {scope}, {dim}, {key}, count(*) FROM a {where} GROUP BY {by}")
    appeal_sql = f"""
        INSERT INTO {AppealDaily._meta.db_table} (day, scope_id, dim, key, registered)
        WITH a AS MATERIALIZED (
            SELECT (x.created_at AT TIME ZONE %s)::date AS d, x.street_id, x.lead_unit_id,
                   u.kind AS lead_kind, x.channel, x.category_id, x.grid_id
            FROM {Appeal._meta.db_table} x
            LEFT JOIN orgs_unit u ON u.id = x.lead_unit_id
            WHERE x.created_at >= %s AND x.created_at < %s
        )
        {" UNION ALL ".join(selects)}
    """
    counts = ", ".join(
        f"count(*) FILTER (WHERE {cond})"
        for cond in (
            "f.reached",
            "NOT f.reached",
            "f.reached AND f.contacted",
            "f.reached AND NOT f.contacted",
            "f.reached AND f.solved",
            "f.reached AND f.satisfaction = 'satisfied'",
            "f.reached AND f.satisfaction = 'basic'",
            "f.reached AND f.satisfaction = 'unsatisfied'",
        )
    )
    fu_table, cols = FollowUpDaily._meta.db_table, ", ".join(FU_FIELDS)
    excluded = unrated_kinds()  # work-item kinds outside the three rates (none by default)
    fu_kinds = (
        f" AND f.appeal_id NOT IN (SELECT id FROM {Appeal._meta.db_table} WHERE kind = ANY(%s))"
        if excluded
        else ""
    )
    fu_params = [excluded] if excluded else []
    fu_sql = {
        "f": f"""
            INSERT INTO {fu_table} (day, basis, unit_id, source, {cols})
            SELECT (f.created_at AT TIME ZONE %s)::date, 'f', COALESCE(f.unit_id, 0), f.source,
                   {counts}
            FROM {FollowUp._meta.db_table} f
            WHERE f.created_at >= %s AND f.created_at < %s{fu_kinds}
            GROUP BY 1, 3, 4
        """,
        "a": f"""
            INSERT INTO {fu_table} (day, basis, unit_id, source, {cols})
            SELECT (x.created_at AT TIME ZONE %s)::date, 'a', COALESCE(f.unit_id, 0), f.source,
                   {counts}
            FROM {FollowUp._meta.db_table} f JOIN {Appeal._meta.db_table} x ON x.id = f.appeal_id
            WHERE x.created_at >= %s AND x.created_at < %s{fu_kinds}
            GROUP BY 1, 3, 4
        """,
    }
    written = 0
    with connection.cursor() as cur:
        cur.execute(appeal_sql, [tz, lo, hi])
        written += cur.rowcount
        for sql in fu_sql.values():
            cur.execute(sql, [tz, lo, hi, *fu_params])
            written += cur.rowcount
    return written


def _pg_cells(start: dt.date, end: dt.date, scope_id: int, dims: list[str]) -> dict[tuple, int]:
    """Live counts for [start, end) grouped in SQL like _PG_APPEAL_CELLS (PostgreSQL), for one
    scope and the requested dimensions only."""
    tz = timezone.get_current_timezone_name()
    params: list = [tz, local_start(start), local_start(end)]
    selects, sel_params = [], []
    for scope, dim, key, group in _PG_APPEAL_CELLS:
        if dim.strip("'") not in dims:
            continue
        if scope_id == 0 and scope != "0":
            continue
        if scope_id and scope == "0":
            continue
        where = ""
        if scope == "street_id":
            where = "WHERE street_id = %s"
            sel_params.append(scope_id)
        elif scope == "lead_unit_id":
            where = "WHERE lead_unit_id = %s AND lead_kind = 'department'"
            sel_params.append(scope_id)
        by = "d" + (", " + group if group else "")
        selects.append(f"SELECT d, {dim}, {key}, count(*) FROM a {where} GROUP BY {by}")
    if not selects:
        return {}
    scope_where = ""
    if scope_id:
        scope_where = "AND (x.street_id = %s OR x.lead_unit_id = %s)"
        params += [scope_id, scope_id]
    sql = f"""
        WITH a AS MATERIALIZED (
            SELECT (x.created_at AT TIME ZONE %s)::date AS d, x.street_id, x.lead_unit_id,
                   u.kind AS lead_kind, x.channel, x.category_id, x.grid_id
            FROM {Appeal._meta.db_table} x
            LEFT JOIN orgs_unit u ON u.id = x.lead_unit_id
            WHERE x.created_at >= %s AND x.created_at < %s {scope_where}
        )
        {" UNION ALL ".join(selects)}
    """
    out: dict[tuple, int] = defaultdict(int)
    with connection.cursor() as cur:
        cur.execute(sql, params + sel_params)
        for day, dim, key, n in cur.fetchall():
            out[(day, scope_id, dim, key)] += n
    return out


def refresh_days(days: Iterable[dt.date]) -> int:
    """Recompute both aggregate tables for the given local days. Returns rows written."""
    written = 0
    for start, end in _day_chunks(days):
        with transaction.atomic():
            AppealDaily.objects.filter(day__gte=start, day__lt=end).delete()
            FollowUpDaily.objects.filter(day__gte=start, day__lt=end).delete()
            if connection.vendor == "postgresql":
                written += _refresh_chunk_pg(start, end)
                continue
            cells = rollup_appeals(_appeal_raw(start, end))
            AppealDaily.objects.bulk_create(
                [
                    AppealDaily(day=d, scope_id=s, dim=dim, key=key, registered=n)
                    for (d, s, dim, key), n in cells.items()
                ],
                batch_size=5000,
            )
            rows = []
            for basis in ("f", "a"):
                for r in _fu_raw(start, end, basis):
                    rows.append(
                        FollowUpDaily(
                            day=_as_date(r["d"]),
                            basis=basis,
                            unit_id=r["unit_id"] or 0,
                            source=r["source"],
                            **{f: r["n_" + f] for f in FU_FIELDS},
                        )
                    )
            FollowUpDaily.objects.bulk_create(rows, batch_size=5000)
            written += len(cells) + len(rows)
    return written


def _state(lock: bool = False) -> AggregateState | None:
    qs = AggregateState.objects.filter(name=STATE)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def covered_until() -> dt.date | None:
    state = _state()
    return state.covered_until if state else None


def _local_dates(qs: QuerySet, field_name: str) -> set[dt.date]:
    return {
        _as_date(d)
        for d in qs.annotate(_d=TruncDate(field_name)).values_list("_d", flat=True).distinct()
    }


@transaction.atomic
def rebuild(start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """Recompute every day from the first appeal (or `start`) to today and mark them covered."""
    today = timezone.localdate()
    if start is None:
        first = Appeal.objects.order_by("created_at").values_list("created_at", flat=True).first()
        start = timezone.localtime(first).date() if first else today
    end = end or today
    if start > end:
        start = end
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    if start == end:
        days = []
    AppealDaily.objects.filter(day__lt=start).delete()
    FollowUpDaily.objects.filter(day__lt=start).delete()
    written = refresh_days(days)
    AggregateState.objects.update_or_create(
        name=STATE,
        defaults={
            "covered_from": start,
            "covered_until": end,
            "watermark": timezone.now(),
            "refreshed_at": timezone.now(),
        },
    )
    return {"days": len(days), "rows": written}


@transaction.atomic
def refresh() -> dict:
    """Incremental refresh from the event log since the last watermark (see module doc)."""
    state = _state(lock=True)
    if state is None or state.covered_until is None or state.watermark is None:
        return {"rebuilt": True, **rebuild()}
    now = timezone.now()
    today = timezone.localdate()
    since = state.watermark - MARGIN
    touched = AppealEvent.objects.filter(created_at__gte=since).values("appeal_id")
    days = _local_dates(Appeal.objects.filter(pk__in=touched), "created_at")
    new_fu = FollowUp.objects.filter(created_at__gte=since)
    days |= _local_dates(new_fu, "created_at")
    days |= _local_dates(Appeal.objects.filter(pk__in=new_fu.values("appeal_id")), "created_at")
    # The days that were served live since the last refresh are now complete.
    d = state.covered_until
    while d < today:
        days.add(d)
        d += dt.timedelta(days=1)
    days = {x for x in days if x < today}
    if state.covered_from:
        days = {x for x in days if x >= state.covered_from}
    written = refresh_days(days)
    state.covered_until = max(today, state.covered_until)
    state.watermark = now
    state.refreshed_at = now
    state.save()
    return {"rebuilt": False, "days": len(days), "rows": written}


def mark_days_changed(days: Iterable[dt.date]) -> None:
    """Called after writing history in the past: recompute those days if they are covered."""
    state = _state()
    if state is None or state.covered_until is None:
        return
    lo = state.covered_from or dt.date.min
    covered = [d for d in days if lo <= d < state.covered_until]
    if covered:
        refresh_days(covered)


# --- reading --------------------------------------------------------------------------------


def split_range(start: dt.date, end: dt.date) -> tuple[tuple | None, list[tuple]]:
    """([agg_start, agg_end) or None, [raw ranges]) for [start, end). Days before the covered
    range (normally empty: history older than the first appeal) and from `covered_until` on
    (normally today) are counted live."""
    state = _state()
    if state is None or state.covered_until is None:
        return None, [(start, end)]
    lo, hi = state.covered_from or dt.date.min, state.covered_until
    raw = []
    if start < lo:
        raw.append((start, min(end, lo)))
    a_start, a_end = max(start, lo), min(end, hi)
    agg = (a_start, a_end) if a_start < a_end else None
    r_start = max(start, hi)
    if r_start < end:
        raw.append((r_start, end))
    return agg, raw


def follow_up_counts(
    start: dt.date,
    end: dt.date,
    basis: str,
    unit_ids: Iterable[int] | None = None,
    kinds: list[str] | None = None,
) -> dict[tuple[int, str], list[int]]:
    """(unit_id, source) -> [FU_FIELDS...] summed over days [start, end); only the follow-ups
    of work-item `kinds` when given (counted from the rows: the daily table has no kind)."""
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(FU_FIELDS))
    agg, raw = split_range(start, end) if kinds is None else (None, [(start, end)])
    ids = list(unit_ids) if unit_ids is not None else None
    if agg:
        from django.db.models import Sum

        qs = FollowUpDaily.objects.filter(basis=basis, day__gte=agg[0], day__lt=agg[1])
        if ids is not None:
            qs = qs.filter(unit_id__in=ids)
        for r in (
            qs.values("unit_id", "source")
            .annotate(**{"s_" + f: Sum(f) for f in FU_FIELDS})
            .order_by()
        ):
            acc = out[(r["unit_id"], r["source"])]
            for i, f in enumerate(FU_FIELDS):
                acc[i] += r["s_" + f] or 0
    for r_start, r_end in raw:
        qs = _fu_raw(r_start, r_end, basis, kinds)
        if ids is not None:
            qs = qs.filter(unit_id__in=ids)
        for r in qs:
            acc = out[(r["unit_id"] or 0, r["source"])]
            for i, f in enumerate(FU_FIELDS):
                acc[i] += r["n_" + f]
    return out


def appeal_cells(
    start: dt.date,
    end: dt.date,
    scope_id: int,
    dims: Iterable[str],
    by_day: bool = False,
    cache: dict | None = None,
) -> dict[tuple, int]:
    """(dim, key[, day]) -> registered count for a scope (0 = district) over [start, end).
    `cache` (one request) keeps the live rows counted for today between calls."""
    from django.db.models import Sum

    dims = list(dims)
    out: dict[tuple, int] = defaultdict(int)
    agg, raw = split_range(start, end)
    if agg:
        qs = AppealDaily.objects.filter(
            scope_id=scope_id, dim__in=dims, day__gte=agg[0], day__lt=agg[1]
        )
        fields = ["dim", "key", "day"] if by_day else ["dim", "key"]
        for r in qs.values(*fields).annotate(n=Sum("registered")).order_by():
            k = (r["dim"], r["key"], r["day"]) if by_day else (r["dim"], r["key"])
            out[k] += r["n"]
    extra = None
    if scope_id:
        extra = Q(street_id=scope_id) | Q(lead_unit_id=scope_id)
    for r_start, r_end in raw:
        ck = ("appeal_raw", r_start, r_end, scope_id)
        if cache is not None and ck in cache:
            cells = cache[ck]
        elif connection.vendor == "postgresql":
            cells = _pg_cells(
                r_start, r_end, scope_id, ["total", "channel", "category", "grid", "street"]
            )
        else:
            cells = rollup_appeals(_appeal_raw(r_start, r_end, extra))
        if cache is not None and ck not in cache:
            cache[ck] = cells
        for (day, scope, dim, key), n in cells.items():
            if scope != scope_id or dim not in dims:
                continue
            k = (dim, key, day) if by_day else (dim, key)
            out[k] += n
    return out


# --- checking -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    days: int = 0
    appeal_cells: int = 0
    follow_up_cells: int = 0
    mismatches: list[str] = field(default_factory=list)
    start: dt.date | None = None  # the [start, end) range checked
    end: dt.date | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches


def check(start: dt.date | None = None, end: dt.date | None = None) -> CheckResult:
    """Recount the covered days from the raw rows and compare with the aggregate tables; also
    check the rows against the event log (one register event per appeal, one follow-up or
    rating event per follow-up)."""
    result = CheckResult()
    state = _state()
    if state is None or state.covered_until is None:
        result.mismatches.append("尚未生成汇总（请先运行 minhu aggregate --rebuild）")
        return result
    start = max(start or state.covered_from or dt.date.min, state.covered_from or dt.date.min)
    end = min(end or state.covered_until, state.covered_until)
    result.start, result.end = start, end
    for c_start, c_end in _day_chunks(
        [start + dt.timedelta(days=i) for i in range(max(0, (end - start).days))]
    ):
        result.days += (c_end - c_start).days
        stored = {
            (r.day, r.scope_id, r.dim, r.key): r.registered
            for r in AppealDaily.objects.filter(day__gte=c_start, day__lt=c_end)
        }
        recount = rollup_appeals(_appeal_raw(c_start, c_end))
        result.appeal_cells += len(recount)
        for k in set(stored) | set(recount):
            if stored.get(k, 0) != recount.get(k, 0):
                result.mismatches.append(
                    f"诉求量 {k[0]} 范围{k[1]} {k[2]}={k[3]}: 汇总 {stored.get(k, 0)}，"
                    f"重算 {recount.get(k, 0)}"
                )
        for basis in ("f", "a"):
            stored_fu = {
                (r.day, r.unit_id, r.source): [getattr(r, f) for f in FU_FIELDS]
                for r in FollowUpDaily.objects.filter(basis=basis, day__gte=c_start, day__lt=c_end)
            }
            recount_fu = {
                (_as_date(r["d"]), r["unit_id"] or 0, r["source"]): [r["n_" + f] for f in FU_FIELDS]
                for r in _fu_raw(c_start, c_end, basis)
            }
            result.follow_up_cells += len(recount_fu)
            zero = [0] * len(FU_FIELDS)
            for k in set(stored_fu) | set(recount_fu):
                if stored_fu.get(k, zero) != recount_fu.get(k, zero):
                    result.mismatches.append(
                        f"回访({basis}) {k[0]} 单位{k[1]} {k[2]}: 汇总 {stored_fu.get(k, zero)}，"
                        f"重算 {recount_fu.get(k, zero)}"
                    )
    # Against the event log.
    lo, hi = local_start(start), local_start(end)
    appeals = Appeal.objects.filter(created_at__gte=lo, created_at__lt=hi)
    n_appeals = appeals.count()
    n_registered = AppealEvent.objects.filter(
        kind=EventKind.REGISTER, appeal__in=appeals.values("pk")
    ).count()
    if n_appeals != n_registered:
        result.mismatches.append(f"受理登记事件 {n_registered} 条，诉求 {n_appeals} 件，不一致")
    fus = FollowUp.objects.filter(created_at__gte=lo, created_at__lt=hi)
    n_fu = fus.count()
    fu_ids = set(fus.values_list("pk", flat=True)) if n_fu <= 200_000 else None
    if fu_ids is not None:
        evs = AppealEvent.objects.filter(
            kind__in=[EventKind.FOLLOW_UP, EventKind.RATE], appeal__in=fus.values("appeal_id")
        ).values_list("data", flat=True)
        seen = set()
        for data in evs.iterator(chunk_size=5000):
            if isinstance(data, dict) and data.get("follow_up") in fu_ids:
                seen.add(data["follow_up"])
        missing = fu_ids - seen
        if missing:
            sample = ", ".join(str(i) for i in sorted(missing)[:10])
            result.mismatches.append(f"{len(missing)} 条回访没有对应的回访/评价事件（如 {sample}）")
    return result


def database_size() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("select pg_size_pretty(pg_database_size(current_database()))")
            return cur.fetchone()[0]
    if connection.vendor == "sqlite":
        import os

        name = connection.settings_dict["NAME"]
        try:
            return f"{os.path.getsize(name) / 1024 / 1024:.1f} MB"
        except OSError:
            return "?"
    return "?"


def follow_up_day_totals(
    start: dt.date, end: dt.date, basis: str, unit_ids: Iterable[int] | None = None
) -> dict[tuple[dt.date, str], list[int]]:
    """(day, source) -> [FU_FIELDS...] summed over the given units (all when None)."""
    from django.db.models import Sum

    out: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0] * len(FU_FIELDS))
    agg, raw = split_range(start, end)
    ids = list(unit_ids) if unit_ids is not None else None
    if agg:
        qs = FollowUpDaily.objects.filter(basis=basis, day__gte=agg[0], day__lt=agg[1])
        if ids is not None:
            qs = qs.filter(unit_id__in=ids)
        sums = {"s_" + f: Sum(f) for f in FU_FIELDS}
        for r in qs.values("day", "source").annotate(**sums).order_by():
            acc = out[(r["day"], r["source"])]
            for i, f in enumerate(FU_FIELDS):
                acc[i] += r["s_" + f] or 0
    for r_start, r_end in raw:
        qs = _fu_raw(r_start, r_end, basis)
        if ids is not None:
            qs = qs.filter(unit_id__in=ids)
        for r in qs:
            acc = out[(_as_date(r["d"]), r["source"])]
            for i, f in enumerate(FU_FIELDS):
                acc[i] += r["n_" + f]
    return out
