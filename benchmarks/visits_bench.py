#!/usr/bin/env python3
"""Door-to-door visits at scale on PostgreSQL: a throwaway cluster, `minhu migrate`, then
`minhu bench-visits` (bulk registry of N households, assignment, visits, coverage and ledger
timings with query counts).

    .venv/bin/python benchmarks/visits_bench.py --households 200000"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgcluster  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MINHU = [sys.executable, str(REPO / "manage.py")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=200_000)
    args = ap.parse_args()
    cluster = pgcluster.start_cluster(
        {"fsync": "off", "synchronous_commit": "off", "shared_buffers": "512MB", "jit": "off"},
        prefix="minhu-visits-pg.",
    )
    env = dict(os.environ, DATABASE_URL=cluster.url)
    try:
        subprocess.run([*MINHU, "migrate", "-v0"], check=True, env=env, cwd=REPO)
        subprocess.run(
            [*MINHU, "bench-visits", "--households", str(args.households)],
            check=True,
            env=env,
            cwd=REPO,
        )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
