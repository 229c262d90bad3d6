#!/usr/bin/env python3
"""Deadline sweep benchmark: N appeals (most closed, some open, a share overdue), then time
`sweep_deadlines` — the first pass records every miss, later passes find nothing new — and print
the figures and the query plan of the overdue scan.

    scripts/with-postgres.sh .venv/bin/python benchmarks/sweep_bench.py --appeals 1000000
    DATABASE_URL=postgres://.../minhu_bench .venv/bin/python benchmarks/sweep_bench.py

The database named in DATABASE_URL is created if missing and must be a throwaway one: the
benchmark migrates it and fills it with generated appeals."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minhu.settings")


def ensure_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a throwaway PostgreSQL database (or use with-postgres.sh)")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=200_000)
    parser.add_argument("--open-share", type=float, default=0.08)
    parser.add_argument("--overdue-share", type=float, default=0.25, help="of the open ones")
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from minhu.appeals.models import Appeal, Status
    from minhu.deadlines.sweep import sweep_deadlines
    from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

    call_command("migrate", verbosity=0)
    if Appeal.objects.exists():
        sys.exit("the database already holds appeals: use an empty one")
    district = Unit.objects.create(name="基准区", code="bench", kind=UnitKind.DISTRICT)
    streets = []
    for i in range(20):
        s = Unit.objects.create(
            name=f"街道{i}", code=f"s{i}", kind=UnitKind.STREET, parent=district
        )
        for r in range(3):
            u = User.objects.create(username=f"s{i}u{r}", phone=f"1380000{i:02d}{r:02d}")
            Membership.objects.create(user=u, unit=s, role=Role.HANDLER)
        streets.append(s)

    rng = random.Random(7)
    now = timezone.now()
    t0 = time.perf_counter()
    batch, total, opened = [], 0, 0
    for n in range(args.appeals):
        created = now - dt.timedelta(days=rng.uniform(0, 720))
        a = Appeal(
            code=f"B{n:09d}",
            channel="hotline",
            subject="基准诉求",
            detail="基准诉求内容",
            appellant_phone="13812345678",
            created_at=created,
            lead_unit=rng.choice(streets),
            status=Status.CLOSED,
        )
        if rng.random() < args.open_share:
            opened += 1
            overdue = rng.random() < args.overdue_share
            due = now + dt.timedelta(hours=rng.uniform(-240, -1) if overdue else rng.uniform(1, 96))
            a.status = rng.choice([Status.DISPATCHED, Status.IN_PROGRESS, Status.IN_PROGRESS])
            if a.status == Status.DISPATCHED:
                a.claim_due_at = due
                a.contact_due_at = due + dt.timedelta(hours=20)
                a.resolve_due_at = due + dt.timedelta(days=3)
                a.current_step, a.current_due_at = "claim", due
            else:  # claimed and contacted: the resolve clock runs
                a.contacted_at = created
                a.resolve_due_at = due
                a.current_step, a.current_due_at = "resolve", due
        batch.append(a)
        if len(batch) == 5000:
            Appeal.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    Appeal.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    load = time.perf_counter() - t0
    overdue = Appeal.objects.filter(
        status__in=["dispatched", "in_progress"], current_due_at__lt=now
    )
    print(
        f"appeals: {args.appeals:,} ({opened:,} open, {overdue.count():,} overdue); "
        f"loaded in {load:.1f}s"
    )

    with connection.cursor() as cur:
        sql, params = (
            Appeal.objects.filter(status__in=["dispatched", "in_progress"], current_due_at__lt=now)
            .order_by("current_due_at", "id")
            .values("id")[:500]
            .query.sql_with_params()
        )
        cur.execute("EXPLAIN " + sql, params)
        print("overdue scan plan:\n  " + "\n  ".join(r[0] for r in cur.fetchall()))

    for label in ("first pass", "second pass", "third pass"):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            stats = sweep_deadlines(now)
            took = time.perf_counter() - t
        print(f"sweep {label}: {took:.2f}s, {len(ctx.captured_queries)} queries, {stats}")


if __name__ == "__main__":
    main()
