"""`minhu partitions [--ensure] [--ahead N]`: the monthly partitions of the event tables on
PostgreSQL (name, bounds, rows); `--ensure` creates the months ahead first and moves rows out of
the DEFAULT partition (what the daily job `ensure_partitions` does)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from minhu.core import partitions


class Command(BaseCommand):
    help = "事件表按月分区：列出分区（范围、行数）；--ensure 预建未来月份的分区"

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create the months ahead")
        parser.add_argument("--ahead", type=int, default=partitions.AHEAD_MONTHS)

    def handle(self, *args, **opts):
        if opts["ensure"]:
            for name in partitions.ensure(ahead=opts["ahead"]):
                self.stdout.write(f"created {name}")
        for table in partitions.PARTITIONED:
            if not partitions.is_partitioned(table):
                self.stdout.write(f"{table}: not partitioned (this database has plain tables)")
                continue
            parts = partitions.partitions(table, count=True)
            self.stdout.write(f"{table}: {len(parts)} partitions")
            for p in parts:
                span = (
                    "DEFAULT"
                    if p.start is None
                    else f"{timezone.localtime(p.start):%Y-%m-%d} .. "
                    f"{timezone.localtime(p.end):%Y-%m-%d}"
                )
                self.stdout.write(f"  {p.name:40s} {span:26s} {p.rows:>12,} rows")
