"""The event table by month on PostgreSQL: months ahead created by the job, rows that landed in
the DEFAULT partition moved into their month (and still append-only there), periods pruned in
the plan; SQLite keeps its plain table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from minhu.appeals.jobs import ensure_partitions
from minhu.appeals.models import AppealEvent
from minhu.appeals.tests.factories import register
from minhu.core import partitions

pytestmark = pytest.mark.django_db
TABLE = AppealEvent._meta.db_table

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)


def _names() -> list[str]:
    return [p.name for p in partitions.partitions(TABLE)]


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def test_month_arithmetic_is_in_the_deployment_zone():
    # 2026-11-30 20:00 UTC is already 1 December in Shanghai.
    start = partitions.month_start(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC))
    assert (start.year, start.month, start.day, start.hour) == (2026, 12, 1, 0)
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert partitions.add_months(start, 1).month == 1
    assert partitions.add_months(start, 1).year == 2027
    assert partitions.add_months(start, -12).year == 2025
    assert partitions.partition_name(TABLE, start) == "appeals_appealevent_p202612"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's plain table")
def test_sqlite_keeps_a_plain_table(org):
    register(org)
    assert not partitions.is_partitioned(TABLE)
    assert partitions.ensure() == [] and ensure_partitions() == []
    assert AppealEvent.objects.count() == 1


@postgres_only
def test_the_migration_partitioned_the_event_table_by_month():
    assert partitions.is_partitioned(TABLE)
    names = _names()
    now = partitions.month_start(timezone.now())
    ahead = [
        partitions.partition_name(TABLE, partitions.add_months(now, i))
        for i in range(partitions.AHEAD_MONTHS + 1)
    ]
    assert set(ahead) <= set(names) and names[-1] == f"{TABLE}_default"
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [TABLE],
        )
        assert {r[0] for r in cur.fetchall()} == {"id", "created_at"}
        # the model's indexes keep their names (later migrations refer to them)
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        indexes = {r[0] for r in cur.fetchall()}
    assert "appeals_app_appeal__4ac5a4_idx" in indexes or any("appeal" in i for i in indexes), (
        indexes
    )
    assert len(indexes) >= 6  # pkey, appeal+created_at, kind+created_at, and the FK indexes


@postgres_only
def test_job_creates_months_ahead_and_moves_default_rows(org):
    appeal = register(org)
    old_at = partitions.add_months(partitions.month_start(timezone.now()), -7) + dt.timedelta(
        days=3
    )
    old_month = partitions.partition_name(TABLE, partitions.month_start(old_at))
    assert old_month not in _names()
    # An event older than every partition lands in DEFAULT (an import of old history).
    from minhu.appeals import events

    events.write(appeal, "note", org.dispatcher, note="旧记录", created_at=old_at)
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{TABLE}_default"')
        assert cur.fetchone()[0] == 1
    later = timezone.now() + dt.timedelta(days=200)
    created = partitions.ensure(now=later)
    assert old_month in created  # the stray month got its own partition
    assert partitions.partition_name(TABLE, partitions.month_start(later)) in created
    assert partitions.ensure(now=later) == []  # idempotent
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{TABLE}_default"')
        assert cur.fetchone()[0] == 0
        cur.execute(f'SELECT count(*) FROM "{old_month}"')
        assert cur.fetchone()[0] == 1
    moved = AppealEvent.objects.get(appeal=appeal, kind="note")
    assert moved.note == "旧记录" and AppealEvent.objects.filter(appeal=appeal).count() == 2
    # still append-only, in the new month and in the re-attached DEFAULT partition
    for target in (TABLE, old_month):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(f'DELETE FROM "{target}" WHERE id = %s', [moved.pk])
    events.write(appeal, "note", org.dispatcher, note="更旧", created_at=old_at.replace(year=2001))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f'UPDATE "{TABLE}_default" SET note = %s', ["x"])
    # ids keep coming from one sequence
    newer = events.write(appeal, "note", org.dispatcher, note="新记录")
    assert newer.pk > moved.pk


@postgres_only
def test_a_period_query_reads_only_its_months(org):
    register(org)
    partitions.ensure(now=timezone.now() + dt.timedelta(days=400))
    month = partitions.month_start(timezone.now())
    this = partitions.partition_name(TABLE, month)
    plan = _plan(
        f'SELECT count(*) FROM "{TABLE}" WHERE created_at >= %s AND created_at < %s',
        [month, partitions.add_months(month, 1)],
    )
    assert this in plan, plan
    scanned = [n for n in _names() if n in plan]
    assert scanned == [this], plan
    # without a time bound every partition is read
    plan = _plan(f'SELECT count(*) FROM "{TABLE}" WHERE kind = %s', ["register"])
    assert all(n in plan for n in _names()), plan
