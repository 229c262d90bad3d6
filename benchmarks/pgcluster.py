"""A throwaway PostgreSQL cluster for benchmarks: initdb in a temp dir, start on a free loopback
port with the given settings, create the `minhu` database; `stop()` stops and deletes it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    return Path(found[-1]).parent


@dataclass
class Cluster:
    url: str
    data: Path
    as_pg: list[str]

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        subprocess.run(
            [*self.as_pg, str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(self.data.parent, ignore_errors=True)


def start_cluster(settings: dict[str, str], prefix: str = "minhu-bench-pg.") -> Cluster:
    """Start a cluster with `settings` (postgres -c name=value) and an empty `minhu` database."""
    bindir = pg_bin()
    d = Path(tempfile.mkdtemp(prefix=prefix))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(d, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    initdb = [str(bindir / "initdb"), "-D", str(d / "data"), "-U", "postgres", "-A", "trust"]
    initdb += ["-E", "UTF8", "--locale=C.UTF-8"]
    subprocess.run([*as_pg, *initdb], check=True, stdout=subprocess.DEVNULL)
    opts = f"-p {port} -k {d} -c listen_addresses=127.0.0.1 " + " ".join(
        f"-c {k}={v}" for k, v in settings.items()
    )
    subprocess.run(
        [*as_pg, str(bindir / "pg_ctl"), "-D", str(d / "data"), "-l", str(d / "log"), "-w"]
        + ["-o", opts, "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    createdb = [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    subprocess.run([*as_pg, *createdb, "minhu"], check=True)
    return Cluster(f"postgres://postgres@127.0.0.1:{port}/minhu", d / "data", as_pg)
