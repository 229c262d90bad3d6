#!/usr/bin/env python3
"""Scale benchmark on PostgreSQL: generate N appeals, verify the aggregates, time rankings and
dashboards, print database size and generation rate.

    .venv/bin/python benchmarks/scale_postgres.py --appeals 1000000          # throwaway cluster
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/scale_postgres.py --appeals 10000000

Without DATABASE_URL it starts a throwaway cluster (initdb in a temp dir, tuned for bulk
loading: fsync off, larger shared_buffers) on a free loopback port, and removes it afterwards
unless --keep is given (then it prints the DATABASE_URL to reuse)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgcluster  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MINHU = [str(REPO / ".venv" / "bin" / "minhu")]


def start_cluster(shared_buffers: str) -> tuple[str, callable]:
    """Tuned for bulk loading: fsync off, larger shared_buffers."""
    cluster = pgcluster.start_cluster(
        {
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": shared_buffers,
            "work_mem": "64MB",
            "maintenance_work_mem": "512MB",
            "max_wal_size": "8GB",
            "checkpoint_timeout": "30min",
            "effective_cache_size": "8GB",
            "jit": "off",
        },
        prefix="minhu-scale-pg.",
    )
    return cluster.url, cluster.stop


def run(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(MINHU + args, check=True, env=env, cwd=REPO)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--appeals", type=int, default=100_000)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--keep", action="store_true", help="leave the throwaway cluster running")
    ap.add_argument("--shared-buffers", default="2GB")
    ap.add_argument("--skip-generate", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="generate processes")
    args = ap.parse_args()
    env = dict(os.environ)
    stop = None
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"], stop = start_cluster(args.shared_buffers)
        print("cluster:", env["DATABASE_URL"], flush=True)
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
                ],
                env,
            )
            print(f"generate + aggregate: {took:.0f}s", flush=True)
            run(["dbshell", "--", "-c", "VACUUM ANALYZE"], env)
        run(["check-aggregates"], env)
        run(["bench", "--repeat", "5"], env)
    finally:
        if stop and not args.keep:
            stop()
        elif stop:
            print("kept running: DATABASE_URL=" + env["DATABASE_URL"])


if __name__ == "__main__":
    main()
