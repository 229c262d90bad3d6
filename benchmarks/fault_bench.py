#!/usr/bin/env python3
"""Fault test: no acknowledged appeal is lost or stored twice while the database crashes and an
app instance dies (`make bench-fault`; a benchmark command, not part of the timed suite).

    .venv/bin/python benchmarks/fault_bench.py                 # 60 s of load, 8 clients
    .venv/bin/python benchmarks/fault_bench.py --seconds 30 --clients 4

On loopback it starts a throwaway PostgreSQL cluster (fsync, synchronous_commit and
full_page_writes on), a throwaway Redis (the shared cache), two app instances (gunicorn, as
`minhu serve` starts them) behind nginx (Debian's; round robin, a failed connection goes to the
other instance), and one `minhu worker`. Clients post appeals through nginx to the staff API,
each with its own `Idempotency-Key`, and retry a request whose answer they did not get (lost
connection, 502/503/504) with the same key, as a real client should, until the run's end plus
--grace seconds. Each appeal carries a unique marker in its text.

During the run PostgreSQL is restarted hard twice (`pg_ctl restart -m immediate`: a crash, then
recovery from the WAL) and one app instance is killed with SIGKILL (master and workers).
Afterwards every marker is counted in the database. The command prints sent (distinct appeals
attempted), acknowledged (a 201 received), stored, lost (acknowledged but not stored),
duplicated (stored more than once), stored without an acknowledgement (the client gave up after
the server committed: not lost, and not a duplicate), the HTTP codes seen, and for each fault
how long until the next appeal was acknowledged. It exits with status 1 if anything acknowledged
was lost or anything was duplicated.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import pgcluster  # noqa: E402
from intake_bench import Server, child_pids, free_port, set_up  # noqa: E402

MARK = "[fault-bench:"


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    exe = shutil.which("redis-server")
    if not exe:
        sys.exit("redis-server not found (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, port


def start_nginx(workdir: Path, upstreams: list[int]) -> tuple[subprocess.Popen, int]:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        sys.exit("nginx not found (apt-get install nginx)")
    port = free_port()
    d = workdir / "nginx"
    d.mkdir()
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in upstreams
    )
    temp = "\n".join(
        f"    {k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (d / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    upstream minhu {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 30m;
        location / {{
            proxy_pass http://minhu;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A refused connection (the killed instance) goes to the other instance. A POST that
            # reached an instance is never resent by nginx: the client retries it with its key.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""
    )
    proc = subprocess.Popen(
        [exe, "-p", str(d), "-c", str(d / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nginx did not start (see {d}/error.log)")


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a gunicorn master and its workers at once (no graceful shutdown)."""
    pids = [proc.pid, *child_pids(proc.pid)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(30)


class Load:
    """Clients that post appeals and retry unanswered ones with the same Idempotency-Key."""

    def __init__(self, port: int, token: str, grids: list[int], texts: list[tuple[str, str]]):
        self.port, self.token, self.grids, self.texts = port, token, grids, texts
        self.lock = threading.Lock()
        self.codes: dict[str, int] = {}
        self.sent = 0
        self.acked: dict[str, int] = {}  # marker -> appeal id
        self.ack_times: list[float] = []
        self.gave_up = 0

    def _post(self, body: bytes, key: str) -> tuple[int, bytes]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=65)
        try:
            c.request(
                "POST",
                "/api/v1/appeals/",
                body=body,
                headers={
                    "Authorization": f"Token {self.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                },
            )
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def client(self, n: int, stop_at: float, give_up_at: float) -> None:
        rng = random.Random(n)
        while time.monotonic() < stop_at:
            marker = uuid.uuid4().hex
            subject, detail = self.texts[rng.randrange(len(self.texts))]
            body = json.dumps(
                {
                    "channel": "hotline",
                    "subject": subject[:200],
                    "detail": f"{(detail or subject)[:4000]} {MARK}{marker}]",
                    "appellant_name": "王先生",
                    "appellant_phone": f"139{rng.randrange(10**8):08d}",
                    "grid": rng.choice(self.grids),
                },
                ensure_ascii=False,
            ).encode()
            with self.lock:
                self.sent += 1
            delay = 0.2
            while True:
                try:
                    code, data = self._post(body, marker)
                    label = str(code)
                except (OSError, http.client.HTTPException) as e:
                    # No answer (refused, reset, cut short): resend with the same key.
                    code, data, label = 0, b"", type(e).__name__
                if code not in (0, 201) and data:
                    try:
                        label += f" {json.loads(data).get('code', '')}".rstrip()
                    except (ValueError, AttributeError):
                        pass
                with self.lock:
                    self.codes[label] = self.codes.get(label, 0) + 1
                if code == 201:
                    with self.lock:
                        self.acked[marker] = json.loads(data)["id"]
                        self.ack_times.append(time.monotonic())
                    break
                if code in (0, 429, 500, 502, 503, 504) and time.monotonic() < give_up_at:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                with self.lock:
                    self.gave_up += 1
                break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="length of the load")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    ap.add_argument("--grace", type=float, default=60, help="retrying after the load's end")
    args = ap.parse_args()
    from intake_bench import read_texts

    _votes, labeled = read_texts()
    texts = [(s, d) for s, d, _ in labeled]

    cluster = pgcluster.start_cluster(
        {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        | {"max_connections": "200"},
        prefix="minhu-fault-pg.",
    )
    workdir = cluster.data.parent
    redis, redis_port = start_redis(workdir)
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "MINHU_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MINHU_DEBUG": "0",
        "MINHU_SECRET_KEY": "fault-bench-not-a-secret",
        "MINHU_NUM_PROXIES": "1",
        "DJANGO_SETTINGS_MODULE": "minhu.settings",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    }
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    log = workdir / "app.log"
    servers: list[Server] = []
    worker = nginx = None
    failed = True
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ids = set_up(labeled, train_model=False)
        from django.db import connections

        connections.close_all()
        servers = [Server(env, args.workers, log), Server(env, args.workers, log)]
        out = open(log, "ab")
        minhu = Path(sys.executable).parent / "minhu"
        worker = subprocess.Popen([str(minhu), "worker"], env=env, cwd=REPO, stdout=out, stderr=out)
        nginx, port = start_nginx(workdir, [s.port for s in servers])
        print(
            f"PostgreSQL (fsync on) {cluster.url}, Redis :{redis_port}, two app instances "
            f":{servers[0].port} :{servers[1].port} ({args.workers} workers each) behind nginx "
            f":{port}, one worker; {args.clients} clients for {args.seconds:.0f} s",
            flush=True,
        )
        load = Load(port, ids["token"], ids["grids"], texts)
        t0 = time.monotonic()
        stop_at, give_up_at = t0 + args.seconds, t0 + args.seconds + args.grace
        threads = [
            threading.Thread(target=load.client, args=(n, stop_at, give_up_at))
            for n in range(args.clients)
        ]
        for t in threads:
            t.start()

        pg_ctl = [*cluster.as_pg, str(pgcluster.pg_bin() / "pg_ctl"), "-D", str(cluster.data)]
        faults: list[tuple[str, float]] = []

        def restart_postgres():
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "restart"], stdout=subprocess.DEVNULL)

        def kill_instance():
            kill_tree(servers[0].proc)

        schedule = [
            (0.25, "PostgreSQL restarted hard (pg_ctl restart -m immediate)", restart_postgres),
            (0.5, f"app instance :{servers[0].port} killed (SIGKILL)", kill_instance),
            (0.75, "PostgreSQL restarted hard again", restart_postgres),
        ]
        for share, what, act in schedule:
            time.sleep(max(0.0, t0 + args.seconds * share - time.monotonic()))
            at = time.monotonic()
            act()
            faults.append((what, at))
            print(f"  t={at - t0:5.1f} s  {what} (took {time.monotonic() - at:.1f} s)", flush=True)
        for t in threads:
            t.join()

        # Count every marker in the database.
        import psycopg

        stored: dict[str, int] = {}
        with psycopg.connect(cluster.url) as conn:
            rows = conn.execute(
                "SELECT detail FROM appeals_appeal WHERE detail LIKE %s", [f"%{MARK}%"]
            ).fetchall()
        for (detail,) in rows:
            marker = detail.rsplit(MARK, 1)[1].rstrip("]")
            stored[marker] = stored.get(marker, 0) + 1
        lost = [m for m in load.acked if m not in stored]
        duplicated = [m for m, n in stored.items() if n > 1]
        unacked_stored = [m for m in stored if m not in load.acked]
        print(
            f"sent {load.sent}  acknowledged {len(load.acked)}  stored {len(stored)} "
            f"(rows {sum(stored.values())})  lost {len(lost)}  duplicated {len(duplicated)}  "
            f"stored without acknowledgement {len(unacked_stored)}  given up {load.gave_up}"
        )
        print(
            "answers seen: "
            + ", ".join(f"{k} ×{v}" for k, v in sorted(load.codes.items(), key=lambda kv: -kv[1]))
        )
        acks = sorted(load.ack_times)
        ends = [at for _, at in faults[1:]] + [stop_at]
        for (what, at), end in zip(faults, ends, strict=True):
            # Answers already in flight may still arrive just after the fault: the outage is the
            # longest pause between two acknowledgements until the next fault.
            window = [at] + [a for a in acks if at < a <= end]
            gap = max((b - a for a, b in zip(window, window[1:], strict=False)), default=None)
            took = f"{gap:.1f} s" if gap is not None else "no acknowledgement before the next fault"
            print(f"after '{what}': longest pause in acknowledgements {took}")
        print(f"throughput under faults: {len(load.acked) / args.seconds:.1f} appeals/s")
        failed = bool(lost or duplicated)
    finally:
        for s in servers:
            if s.proc.poll() is None:
                s.stop()
        if worker and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if nginx:
            nginx.terminate()
            nginx.wait(10)
        redis.terminate()
        redis.wait(10)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        cluster.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
