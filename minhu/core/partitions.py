"""Monthly range partitions of the big append-only tables, on PostgreSQL only.

The event table grows ~9 rows per appeal (93 M rows at 10 M appeals). On PostgreSQL it is a
declaratively partitioned table (`PARTITION BY RANGE (created_at)`), one partition per calendar
month of the deployment's time zone (`<table>_pYYYYMM`, bounds at local midnight of the 1st),
plus a DEFAULT partition (`<table>_default`) so that an insert never fails when a month was not
created in time. Queries over a period (`created_at` between two times: the figures, the
sweeps, the ledgers, Open311's window) read only the partitions of that period; old months can
be detached and archived as whole tables (docs/operations.md).

The Django model is unchanged and SQLite keeps a plain table. What PostgreSQL imposes:
- the primary key is (`id`, `created_at`) (a partitioned table's unique keys contain the
  partition key); `id` still comes from one sequence, so it stays unique;
- no foreign key can point at the partitioned table: the one that did
  (`routing_routingdecision.event_id`) is dropped and kept by the application (events are
  append-only, never deleted);
- the append-only trigger (core/append_only.py) is created on the partitioned table and
  PostgreSQL clones it onto every partition, present and future.

`ensure()` (the daily job `core.jobs.ensure_partitions`, and `minhu partitions`) creates the
months ahead, and moves rows that landed in the DEFAULT partition into months of their own.
Bulk loaders call `cover()` for the period they load first.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

logger = logging.getLogger("minhu.partitions")

# table -> partition key column. The tables that are partitioned where the database can.
PARTITIONED: dict[str, str] = {"appeals_appealevent": "created_at"}
AHEAD_MONTHS = 3


@dataclass(frozen=True)
class Partition:
    name: str
    start: dt.datetime | None  # None: the DEFAULT partition
    end: dt.datetime | None
    rows: int = 0


def month_start(when: dt.datetime | dt.date) -> dt.datetime:
    """Local midnight of the 1st of `when`'s month (the deployment's time zone), aware."""
    zone = timezone.get_default_timezone()
    if isinstance(when, dt.datetime) and timezone.is_aware(when):
        when = timezone.localtime(when, zone)
    return timezone.make_aware(dt.datetime(when.year, when.month, 1), zone)


def add_months(start: dt.datetime, n: int) -> dt.datetime:
    index = start.year * 12 + start.month - 1 + n
    return timezone.make_aware(
        dt.datetime(index // 12, index % 12 + 1, 1), timezone.get_default_timezone()
    )


def partition_name(table: str, start: dt.datetime) -> str:
    return f"{table}_p{start.year:04d}{start.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def is_partitioned(table: str, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relkind FROM pg_class c WHERE c.relname = %s "
            "AND pg_catalog.pg_table_is_visible(c.oid)",
            [table],
        )
        row = cur.fetchone()
    return bool(row) and row[0] == "p"


def partitions(table: str, using: str = "default", *, count: bool = False) -> list[Partition]:
    """The table's partitions in bound order (the DEFAULT one last), with their row counts
    when `count` (an exact count: reads every partition)."""
    connection = connections[using]
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass ORDER BY c.relname
            """,
            [table],
        )
        found = cur.fetchall()
        out = []
        for name, bound in found:
            start = end = None
            if bound != "DEFAULT":
                # FOR VALUES FROM ('2026-12-01 00:00:00+08') TO ('2027-01-01 00:00:00+08')
                lo, hi = bound.split("'")[1], bound.split("'")[3]
                cur.execute("SELECT %s::timestamptz, %s::timestamptz", [lo, hi])
                start, end = cur.fetchone()
            rows = 0
            if count:
                cur.execute(f'SELECT count(*) FROM "{name}"')
                rows = cur.fetchone()[0]
            out.append(Partition(name, start, end, rows))
    out.sort(key=lambda p: (p.start is None, p.start or dt.datetime.min.replace(tzinfo=dt.UTC)))
    return out


def _literal(when: dt.datetime) -> str:
    """A partition bound (DDL takes no parameters): an ISO time with its offset."""
    return "'" + when.isoformat() + "'::timestamptz"


def _exists(cur, name: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cur.fetchone()[0]


def _create_month(cur, table: str, column: str, start: dt.datetime) -> str | None:
    """Create the partition of the month starting at `start` unless it exists; rows of that
    month already in the DEFAULT partition are moved into it. Returns its name if created."""
    name = partition_name(table, start)
    if _exists(cur, name):
        return None
    end = add_months(start, 1)
    default = default_name(table)
    cur.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s)',
        [start, end],
    )
    stray = cur.fetchone()[0]
    if stray:
        # Detaching the DEFAULT partition removes its clone of the append-only trigger, so its
        # rows of this month can be moved (copied into the new month, then removed from the
        # DEFAULT partition) in this one transaction; attaching it again re-clones the trigger.
        cur.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{default}"')
    cur.execute(
        f'CREATE TABLE "{name}" PARTITION OF "{table}" '
        f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
    )
    if stray:
        cur.execute(
            f'INSERT INTO "{table}" SELECT * FROM "{default}" '
            f'WHERE "{column}" >= %s AND "{column}" < %s',
            [start, end],
        )
        cur.execute(
            f'DELETE FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s', [start, end]
        )
        cur.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{default}" DEFAULT')
        logger.warning("moved rows of %s from %s into %s", start.date(), default, name)
    return name


def cover(table: str, start: dt.datetime, end: dt.datetime, using: str = "default") -> list[str]:
    """Make sure every month from `start` to `end` has its partition (a bulk loader calls this
    before loading a period). No-op where the table is not partitioned. Returns the created."""
    if not is_partitioned(table, using):
        return []
    column = PARTITIONED[table]
    created = []
    month, last = month_start(start), month_start(end)
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"minhu.partitions.{table}"])
        while month <= last:
            name = _create_month(cur, table, column, month)
            if name:
                created.append(name)
            month = add_months(month, 1)
    return created


def ensure(ahead: int = AHEAD_MONTHS, using: str = "default", now=None) -> list[str]:
    """Create this month's partition and the next `ahead` ones of every partitioned table,
    and give rows found in the DEFAULT partition months of their own. Idempotent."""
    now = now or timezone.now()
    created: list[str] = []
    for table, column in PARTITIONED.items():
        if not is_partitioned(table, using):
            continue
        with connections[using].cursor() as cur:
            # Months in the deployment's zone (the session's zone is UTC).
            cur.execute(
                f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE %s) "
                f'FROM "{default_name(table)}"',
                [timezone.get_default_timezone_name()],
            )
            zone = timezone.get_default_timezone()
            months = [timezone.make_aware(r[0], zone) for r in cur.fetchall()]
        created += cover(table, month_start(now), add_months(month_start(now), ahead), using)
        for month in sorted(set(months)):
            created += cover(table, month, month, using)
    return created


# --- the migration that partitions a table ---------------------------------------------------


def partition_table(schema_editor, table: str, *, ahead: int = AHEAD_MONTHS) -> None:
    """Turn `table` (a plain table made by Django) into a table partitioned by month on
    PARTITIONED[table], keeping its rows, column defaults and checks, indexes (same names),
    foreign keys and its id sequence. Foreign keys *to* it are dropped (see the module's doc).
    PostgreSQL only; runs inside the migration's transaction."""
    column = PARTITIONED[table]
    cur = schema_editor.connection.cursor()
    cur.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    cur.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT i.indisprimary",
        [table],
    )
    indexes = cur.fetchall()
    for name, ddl in indexes:
        if " UNIQUE " in ddl:
            raise RuntimeError(f"{name}: a unique index cannot hold on a partitioned table")
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign = cur.fetchall()
    cur.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    for name, other in cur.fetchall():
        cur.execute(f'ALTER TABLE "{other}" DROP CONSTRAINT "{name}"')
    for name, _ddl in foreign:
        cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ddl in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (old_seq,) = cur.fetchone()
    old = f"{table}_unpartitioned"
    cur.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    cur.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [old]
    )
    (pkey,) = cur.fetchone()
    cur.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{pkey}" TO "{old}_pkey"')
    cur.execute(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        f'INCLUDING STORAGE) PARTITION BY RANGE ("{column}")'
    )
    seq = f"{table}_id_seq"
    cur.execute(f'ALTER TABLE "{old}" ALTER COLUMN id DROP IDENTITY IF EXISTS')
    if old_seq:  # a serial's sequence (an identity's went with it)
        cur.execute(f'ALTER SEQUENCE IF EXISTS {old_seq} RENAME TO "{old}_id_seq"')
    cur.execute(f'CREATE SEQUENCE "{seq}" AS bigint OWNED BY "{table}".id')
    cur.execute(f'SELECT setval(\'"{seq}"\', COALESCE(MAX(id), 0) + 1, false) FROM "{old}"')
    cur.execute(f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{seq}"\')')
    cur.execute(f'CREATE TABLE "{default_name(table)}" PARTITION OF "{table}" DEFAULT')
    cur.execute(f'SELECT MIN("{column}") FROM "{old}"')
    (first,) = cur.fetchone()
    now = timezone.now()
    month, last = month_start(first or now), add_months(month_start(now), ahead)
    while month <= last:
        end = add_months(month, 1)
        cur.execute(
            f'CREATE TABLE "{partition_name(table, month)}" PARTITION OF "{table}" '
            f"FOR VALUES FROM ({_literal(month)}) TO ({_literal(end)})"
        )
        month = end
    # Rows first, then the indexes and foreign keys (built once, not row by row).
    cur.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    cur.execute(f'DROP TABLE "{old}"')
    cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{pkey}" PRIMARY KEY (id, "{column}")')
    for _name, ddl in indexes:
        cur.execute(ddl)
    for name, ddl in foreign:
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {ddl}')
