#!/usr/bin/env python3
"""The registry's xlsx import at scale on PostgreSQL: a throwaway cluster, `minhu migrate`,
then `minhu bench-registry-import` (a generated workbook of N households with 3 residents
each, imported as the background job does, then re-imported; time, rows/s, peak memory).

    .venv/bin/python benchmarks/registry_import_bench.py --households 200000"""

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
    ap.add_argument("--no-reimport", action="store_true")
    args = ap.parse_args()
    cluster = pgcluster.start_cluster(
        {"fsync": "off", "synchronous_commit": "off", "shared_buffers": "512MB", "jit": "off"},
        prefix="minhu-registry-pg.",
    )
    env = dict(os.environ, DATABASE_URL=cluster.url, MINHU_JOBS="inline")
    try:
        subprocess.run([*MINHU, "migrate", "-v0"], check=True, env=env, cwd=REPO)
        cmd = [*MINHU, "bench-registry-import", "--households", str(args.households)]
        subprocess.run(
            cmd + (["--no-reimport"] if args.no_reimport else []), check=True, env=env, cwd=REPO
        )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
