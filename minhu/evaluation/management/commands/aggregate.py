"""Keep the daily aggregate tables up to date (run every few minutes by cron)."""

import time

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_date

from minhu.evaluation import aggregates


class Command(BaseCommand):
    help = "增量更新每日汇总表（--rebuild 全部重算）"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--since", help="with --rebuild: first day (YYYY-MM-DD)")

    def handle(self, *args, **opts):
        t = time.perf_counter()
        if opts["rebuild"]:
            result = aggregates.rebuild(parse_date(opts["since"]) if opts["since"] else None)
        else:
            result = aggregates.refresh()
        self.stdout.write(f"{result} in {time.perf_counter() - t:.2f}s")
