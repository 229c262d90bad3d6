#!/usr/bin/env python3
"""Open311 benchmark on PostgreSQL: `GET /open311/v2/requests.json` with the default window
(the last 90 days, at most MINHU_OPEN311_MAX_REQUESTS) at N appeals.

    .venv/bin/python benchmarks/open311_bench.py --appeals 1000000        # throwaway cluster
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/open311_bench.py --skip-generate

Without DATABASE_URL it starts a throwaway cluster (scale_postgres.start_cluster) and fills it with
`minhu generate` (COPY: appeals with their events, assignments, follow-ups over `--years`),
ending today so the default window is full. Then it times the request in process through the
whole Django stack (middleware included): median and p95 over `--repeat` calls, the number of
SQL statements and the size of the answer, in JSON and XML, with `service_code` and `status`
filters, a full page of 1,000 and a later page; `--explain` prints each statement's
EXPLAIN (ANALYZE, BUFFERS)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_postgres import run, start_cluster  # noqa: E402


def explain(connection, queries) -> None:
    """EXPLAIN ANALYZE of the statements one call ran (their plans and execution times)."""
    with connection.cursor() as cur:
        for q in queries:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            print("   ", q["sql"][:160] + " ...")
            for (line,) in cur.fetchall():
                print("      " + line)


def measure(repeat: int, show_plans: bool = False) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minhu.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from minhu.appeals.models import Appeal

    total = Appeal.objects.count()
    print(f"appeals in the database: {total:,}", flush=True)
    client = Client(HTTP_HOST="127.0.0.1")
    top = Appeal.objects.exclude(category=None).values_list("category__code", flat=True).first()
    cases = [
        ("requests.json (default window)", "/open311/v2/requests.json", {}),
        ("requests.json?page_size=1000", "/open311/v2/requests.json", {"page_size": "1000"}),
        ("requests.json?page=5", "/open311/v2/requests.json", {"page": "5"}),
        ("requests.xml (default window)", "/open311/v2/requests.xml", {}),
        ("requests.json?status=open", "/open311/v2/requests.json", {"status": "open"}),
        (f"requests.json?service_code={top}", "/open311/v2/requests.json", {"service_code": top}),
    ]
    for label, path, params in cases:
        client.get(path, params)  # warm
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as q:
                r = client.get(path, params)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.content[:200]
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        n = r.content.count(b'"service_request_id"') or r.content.count(b"<request>")
        print(
            f"{label:45s} median {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
            f"{len(q.captured_queries)} queries  {n} requests  {len(r.content) / 1024:.0f} KiB",
            flush=True,
        )
        if show_plans:
            explain(connection, q.captured_queries)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--appeals", type=int, default=1_000_000)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", action="store_true", help="leave the throwaway cluster running")
    ap.add_argument("--skip-generate", action="store_true")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each statement")
    args = ap.parse_args()
    stop = None
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"], stop = start_cluster("1GB")
        print("cluster:", os.environ["DATABASE_URL"], flush=True)
    env = dict(os.environ)
    try:
        run(["migrate", "-v0"], env)
        if not args.skip_generate:
            took = run(
                [
                    "generate",
                    "--appeals",
                    str(args.appeals),
                    "--years",
                    str(args.years),
                    "--workers",
                    str(args.workers),
                    "--no-aggregate",
                ],
                env,
            )
            print(f"generate: {took:.0f}s", flush=True)
            run(["dbshell", "--", "-c", "VACUUM ANALYZE"], env)
        measure(args.repeat, args.explain)
    finally:
        if stop and not args.keep:
            stop()
        elif stop:
            print("kept running: DATABASE_URL=" + os.environ["DATABASE_URL"])


if __name__ == "__main__":
    main()
