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
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MINHU = [str(REPO / ".venv" / "bin" / "minhu")]


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    return Path(found[-1]).parent


def start_cluster(shared_buffers: str) -> tuple[str, callable]:
    bindir = pg_bin()
    d = Path(tempfile.mkdtemp(prefix="minhu-scale-pg."))
    as_pg = []
    if os.geteuid() == 0:
        shutil.chown(d, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    subprocess.run(
        [
            *as_pg,
            str(bindir / "initdb"),
            "-D",
            str(d / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    opts = (
        f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off "
        f"-c synchronous_commit=off -c full_page_writes=off -c shared_buffers={shared_buffers} "
        "-c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB "
        "-c checkpoint_timeout=30min -c effective_cache_size=8GB -c jit=off"
    )
    subprocess.run(
        [
            *as_pg,
            str(bindir / "pg_ctl"),
            "-D",
            str(d / "data"),
            "-l",
            str(d / "log"),
            "-w",
            "-o",
            opts,
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *as_pg,
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "minhu",
        ],
        check=True,
    )

    def stop():
        subprocess.run(
            [*as_pg, str(bindir / "pg_ctl"), "-D", str(d / "data"), "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(d, ignore_errors=True)

    return f"postgres://postgres@127.0.0.1:{port}/minhu", stop


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
