"""`minhu bench-search`: time the appeal list's text search (count + first page) on this
database, with the bigram index (PostgreSQL) and, for comparison, as a plain scan."""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand
from django.core.paginator import Paginator
from django.db import connection

from minhu.appeals.models import Appeal
from minhu.appeals.search import search_appeals, substring_conditions


class Command(BaseCommand):
    help = "诉求全文检索的性能测试（打印耗时）"

    def add_arguments(self, parser):
        parser.add_argument("--q", action="append", default=[], help="a query (repeatable)")
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--no-scan", action="store_true", help="skip the plain-scan timings")

    def _sample_queries(self) -> list[str]:
        """A common word, an existing subject, an address, a phone number and a tracking code
        taken from the data, and a text that is in no appeal."""
        row = Appeal.objects.order_by("-id").values("subject", "address", "appellant_phone", "code")
        sample = row.exclude(address="").exclude(appellant_phone="").first() or {}
        out = ["路灯", "噪音"]
        if sample:
            out += [sample["subject"], sample["address"][-8:], sample["appellant_phone"]]
            out += [sample["code"].lower()]
        return out + ["没有这种诉求的内容"]

    def _time(self, qs, repeat: int) -> tuple[int, float, float]:
        timings = []
        count = 0
        for _ in range(repeat):
            t = time.perf_counter()
            page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(1)
            count = page.paginator.count
            list(page.object_list)
            timings.append(time.perf_counter() - t)
        return count, timings[0] * 1000, statistics.median(timings) * 1000

    def handle(self, *args, **opts):
        queries = opts["q"] or self._sample_queries()
        self.stdout.write(
            f"{connection.vendor}: {Appeal.objects.count():,} appeals; "
            "count + first page of 50, newest first"
        )
        for q in queries:
            n, first, median = self._time(
                search_appeals(Appeal.objects.all(), q, appellant_name=True, phone=True),
                opts["repeat"],
            )
            line = f"{q[:24]!r:<28} {n:>9,} matches   search first {first:8.1f} ms  median {median:8.1f} ms"
            if not opts["no_scan"]:
                _, sfirst, smedian = self._time(
                    Appeal.objects.filter(
                        substring_conditions(q.strip(), appellant_name=True, phone=True)
                    ),
                    opts["repeat"],
                )
                line += f"   scan first {sfirst:8.1f} ms  median {smedian:8.1f} ms"
            self.stdout.write(line)
