"""Recount the aggregate tables from the appeals, follow-ups and events; exit 1 on a mismatch."""

import sys
import time

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_date

from minhu.evaluation import aggregates, figures


class Command(BaseCommand):
    help = "核对每日汇总表与原始记录、事件重算结果是否一致"

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day to check (YYYY-MM-DD)")
        parser.add_argument("--until", help="day after the last day to check (YYYY-MM-DD)")

    def handle(self, *args, **opts):
        t = time.perf_counter()
        result = aggregates.check(
            parse_date(opts["since"]) if opts["since"] else None,
            parse_date(opts["until"]) if opts["until"] else None,
        )
        if result.start is not None and result.start < result.end:
            # 办结率, 按时办结率, 整改完成率 and the outcome counts, recounted from the events.
            result.mismatches += figures.check_completion(result.start, result.end)
        took = time.perf_counter() - t
        self.stdout.write(
            f"checked {result.days} days, {result.appeal_cells} volume cells, "
            f"{result.follow_up_cells} follow-up cells in {took:.2f}s"
        )
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS("OK: aggregates and completion figures equal the recount")
            )
            return
        for line in result.mismatches[:50]:
            self.stderr.write(line)
        self.stderr.write(f"{len(result.mismatches)} mismatches")
        sys.exit(1)
