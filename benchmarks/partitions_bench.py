#!/usr/bin/env python3
"""Partitioned event table and the capacity model, on an existing PostgreSQL database
(e.g. the one `open311_bench.py --keep` or `scale_postgres.py --keep` generated):

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/partitions_bench.py [--target 150000000]

It prints:
- the event table's partitions (rows, size);
- EXPLAIN (ANALYZE) of period queries (a month's resolved events, a week's counts by kind,
  the ORM's figures-style filter) — the plans name only the partitions of the period — and of
  lookups by appeal with and without the appeal's own time as a lower bound (without it every
  partition's index is probed);
- the capacity model: bytes per appeal of every table that grows with appeals (heap, indexes,
  TOAST), measured, and what that is at --target appeals (disk, the hot months' working set).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GROWING = [
    "appeals_appeal",
    "appeals_appealevent",
    "appeals_followup",
    "appeals_assignment",
    "deadlines_deadlinemiss",
    "routing_routingdecision",
    "notifications_notification",
    "open311_open311request",
]


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def explain(cur, label: str, sql: str, params=()) -> None:
    cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
    lines = [r[0] for r in cur.fetchall()]
    scanned = sorted(set(re.findall(r"appeals_appealevent_(p\d{6}|default)", "\n".join(lines))))
    print(
        f"\n-- {label}: partitions in the plan: {len(scanned)} ({', '.join(scanned[:6])}"
        f"{' …' if len(scanned) > 6 else ''})"
    )
    for line in lines:
        print("   " + line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=int, default=150_000_000)
    ap.add_argument("--plans", action="store_true", help="print the whole plans")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL=postgres://... of a generated database")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minhu.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from minhu.appeals.models import Appeal, AppealEvent
    from minhu.core import partitions

    table = AppealEvent._meta.db_table
    if not partitions.is_partitioned(table):
        sys.exit(f"{table} is not partitioned (run `minhu migrate`)")
    appeals = Appeal.objects.count()
    print(f"appeals: {appeals:,}")
    with connection.cursor() as cur:
        parts = partitions.partitions(table, count=True)
        cur.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table],
        )
        sizes = dict(cur.fetchall())
        print(f"{table}: {len(parts)} partitions, {sum(p.rows for p in parts):,} rows")
        for p in parts:
            print(f"  {p.name:32s} {p.rows:>11,} rows  {mb(sizes.get(p.name, 0)):>9}")

        month = partitions.add_months(partitions.month_start(timezone.now()), -1)
        end = partitions.add_months(month, 1)
        show = explain if args.plans else _explain_short
        show(
            cur,
            f"a month's resolved events ({month:%Y-%m})",
            f'SELECT count(*) FROM "{table}" WHERE kind = %s AND created_at >= %s '
            "AND created_at < %s",
            ["resolve", month, end],
        )
        week = timezone.now() - timezone.timedelta(days=7)
        qs = (
            AppealEvent.objects.filter(created_at__gte=week)
            .values("kind")
            .annotate(n=Count("id"))
            .order_by()
        )
        sql, params = qs.query.sql_with_params()
        show(cur, "the last 7 days by kind (ORM, figures style)", sql, params)
        cur.execute(
            "SELECT id, created_at FROM appeals_appeal ORDER BY id DESC LIMIT 1 OFFSET 5000"
        )
        appeal_id, created = cur.fetchone()
        show(
            cur,
            "one appeal's events, by appeal only (every partition probed)",
            f'SELECT * FROM "{table}" WHERE appeal_id = %s ORDER BY created_at',
            [appeal_id],
        )
        show(
            cur,
            "one appeal's events, bounded by the appeal's own time",
            f'SELECT * FROM "{table}" WHERE appeal_id = %s AND created_at >= %s '
            "ORDER BY created_at",
            [appeal_id, created],
        )
        from minhu.open311 import georeport

        since = timezone.now() - timezone.timedelta(days=90)
        qs = georeport.public_appeals().filter(created_at__gte=since)
        qs = qs.annotate(newest_event=georeport.newest_public_event(since)).order_by(
            "-created_at", "-id"
        )
        sql, params = qs.values("id", "newest_event")[:200].query.sql_with_params()
        show(
            cur,
            "Open311's page with each appeal's newest public event (run-time pruning)",
            sql,
            params,
        )

        print("\ncapacity model (measured bytes per appeal; heap + TOAST + indexes):")
        total = 0
        for name in GROWING:
            cur.execute("SELECT to_regclass(%s)", [name])
            if cur.fetchone()[0] is None:
                continue
            cur.execute(
                "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0), "
                "COALESCE(sum(pg_indexes_size(c.oid)), 0) FROM pg_class c "
                "WHERE c.oid = %s::regclass OR c.oid IN "
                "(SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                [name, name],
            )
            size, idx = cur.fetchone()
            cur.execute(f'SELECT count(*) FROM "{name}"')
            rows = cur.fetchone()[0]
            per = size / max(appeals, 1)
            total += size
            print(
                f"  {name:28s} {rows:>11,} rows ({rows / max(appeals, 1):4.1f}/appeal)  "
                f"{mb(size):>9} ({per:6.0f} B/appeal, indexes {idx / max(size, 1):3.0%})"
            )
        cur.execute("SELECT pg_database_size(current_database())")
        (db,) = cur.fetchone()
        per_appeal = db / max(appeals, 1)
        print(
            f"  whole database: {mb(db)} = {per_appeal:,.0f} B/appeal (growing tables {mb(total)})"
        )
        t = args.target
        print(
            f"\nat {t:,} appeals: {per_appeal * t / 2**30:,.0f} GB of database "
            f"({total / max(appeals, 1) * t / 2**30:,.0f} GB in the growing tables); "
            f"events {t * sum(p.rows for p in parts) / max(appeals, 1):,.0f} rows"
        )
        months = [p for p in parts if p.rows]
        if months:
            recent = sorted(months, key=lambda p: p.start)[-3:]
            hot = sum(sizes.get(p.name, 0) for p in recent) / max(appeals, 1)
            print(
                f"  the newest 3 months of events here: {mb(hot * appeals)} "
                f"({hot:,.0f} B per appeal of the whole history)"
            )


def _explain_short(cur, label: str, sql: str, params=()) -> None:
    cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
    lines = [r[0] for r in cur.fetchall()]
    text = "\n".join(lines)
    scanned = sorted(set(re.findall(r"appeals_appealevent_(p\d{6}|default)", text)))
    never = text.count("(never executed)")
    removed = sum(int(n) for n in re.findall(r"Subplans Removed: (\d+)", text))
    timing = " ".join(line.strip() for line in lines if "Time:" in line)
    print(
        f"-- {label}\n   partitions in the plan: {len(scanned)}"
        + (f" ({', '.join(scanned)})" if len(scanned) <= 4 else "")
        + (f"; removed at run time: {removed}" if removed else "")
        + (f"; never executed: {never}" if never else "")
        + f"; {timing}"
    )


if __name__ == "__main__":
    main()
