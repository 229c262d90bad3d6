#!/usr/bin/env python3
"""Intake throughput: the staff API's POST /api/v1/appeals/ through gunicorn on PostgreSQL with
fsync on, beside raw single-row inserts through psycopg in the same run (`make bench-intake`).

    .venv/bin/python benchmarks/intake_bench.py                      # 500 and 30,000 open, c=1,8,32
    .venv/bin/python benchmarks/intake_bench.py --open 500 --concurrency 1,8 --seconds 10

It starts a throwaway cluster (fsync, synchronous_commit and full_page_writes on: a durable
commit per appeal; pg_stat_statements with planning tracked), migrates, builds the demo
district's organisation, dispatch catalogue and (unless --no-model) a classifier trained on
../shared/bench/messages_labeled.csv, loads open appeals (real texts from
../shared/bench/messages_votes.csv, spread over the streets and the last 25 days), starts
gunicorn (--workers sync workers, preloaded and warmed up as `minhu serve` does) and drives intake over loopback with a bounded load generator
(threads, one request at a time each, new connection per request: sync workers close it) for
--seconds per concurrency level. Per level it prints appeals/s, p50/p99 latency, CPU per
intake (gunicorn workers, PostgreSQL, the load generator), SQL statements per intake and
PostgreSQL's planning vs execution time per intake (pg_stat_statements), the statements that
cost most, and then raw single-row INSERTs of the same columns into a copy of the appeal table
(same indexes, one commit each) at the same concurrency levels.

Routing (classification, location, duplicates, automatic dispatch) runs where the product runs
it (printed at the start): on PostgreSQL a queued job that one `minhu worker` runs (its CPU is
printed per intake; MINHU_JOBS=inline runs it in the web worker after the answer). After each
level the command waits until every appeal of the level has been routed (bounded by
--drain-seconds) and prints how long the backlog took; the worker's CPU is counted until then."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import importlib
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import pgcluster  # noqa: E402

BENCH = Path(os.environ.get("MINHU_BENCH_DATA", REPO.parent / "shared" / "bench"))
TICK = os.sysconf("SC_CLK_TCK")


# --- process CPU ------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of `pid` (plus its reaped children's with children=True), in seconds."""
    try:
        f = _stat(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)
    return ticks / TICK


def child_pids(parent: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == parent:
                    out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
    return out


def tree_cpu(root: int) -> float:
    """CPU of a process and its children, live and exited (reaped ones through cutime)."""
    return cpu_seconds(root, children=True) + sum(cpu_seconds(p) for p in child_pids(root))


# --- data ------------------------------------------------------------------------------------


def read_texts() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(subject, detail) of messages_votes.csv for the backlog; (subject, detail, label) of
    messages_labeled.csv for the classifier and the posted appeals."""
    if not BENCH.is_dir():
        sys.exit(f"benchmark data not found at {BENCH}")
    with open(BENCH / "messages_votes.csv", encoding="utf-8") as f:
        votes = [(r["subject"], r["detail"]) for r in csv.DictReader(f) if r["subject"]]
    with open(BENCH / "messages_labeled.csv", encoding="utf-8") as f:
        labeled = [(r["subject"], r["detail"], r["label"]) for r in csv.DictReader(f)]
    return votes, labeled


def set_up(labeled, train_model: bool) -> dict:
    """Organisation, catalogue, model; a dispatcher's API token. Returns ids for the load."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from minhu.demo import builder
    from minhu.routing import training

    with transaction.atomic():
        builder._create_org()
    org = builder.load_org()
    rules = builder.create_dispatch_rules(org, None)
    model = ""
    if train_model:
        rows = random.Random(1).sample(labeled, min(2000, len(labeled)))
        t = time.perf_counter()
        m = training.train(
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], trained_on="bench"
        )
        model = f"v{m.version} trained on {len(rows)} rows in {time.perf_counter() - t:.0f} s"
    token = Token.objects.create(user=org.dispatchers[0]).key
    print(
        f"organisation: {len(org.streets)} streets/towns, {len(org.grids)} grids; "
        f"{rules} dispatch rules; model: {model or 'keyword rules'}",
        flush=True,
    )
    return {"token": token, "grids": [g.pk for g in org.grids], "grid_street": org.grid_street}


def load_open(n: int, texts, ids: dict, seed: int) -> None:
    """n more open appeals (new, dispatched, in progress), most located, of the last 25 days."""
    from django.db import connection
    from django.utils import timezone

    from minhu.appeals.models import Appeal, Channel, Status

    text_index = importlib.import_module("minhu.appeals.migrations.0005_text_bigram_index")
    if n <= 0:
        return
    rng = random.Random(seed)
    now = timezone.now()
    statuses = [Status.NEW] * 2 + [Status.DISPATCHED] * 3 + [Status.IN_PROGRESS] * 5
    batch = []
    t = time.perf_counter()
    # A bulk load: the text-search index is built once afterwards, not row by row.
    with connection.cursor() as cur:
        cur.execute(text_index.DROP[0])
    for i in range(n):
        subject, detail = texts[rng.randrange(len(texts))]
        grid = rng.choice(ids["grids"]) if rng.random() < 0.9 else None
        batch.append(
            Appeal(
                channel=Channel.HOTLINE,
                subject=subject[:200],
                detail=detail[:5000] or subject,
                appellant_phone=f"138{rng.randrange(10**8):08d}",
                grid_id=grid,
                street_id=ids["grid_street"][grid].pk if grid else None,
                status=rng.choice(statuses),
                created_at=now - dt.timedelta(seconds=rng.uniform(60, 25 * 86400)),
            )
        )
        if len(batch) == 2000 or i == n - 1:
            Appeal.objects.bulk_create(batch)
            batch = []
    with connection.cursor() as cur:
        cur.execute(text_index.CREATE[1])
        cur.execute("ANALYZE")
    print(f"loaded {n:,} open appeals in {time.perf_counter() - t:.0f} s", flush=True)


# --- the server and the load --------------------------------------------------------------


def free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, env: dict, workers: int, log: Path):
        import subprocess

        self.port = free_port()
        self.log = open(log, "ab")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen(
            # As `minhu serve` starts it: preloaded and warmed up before the workers fork.
            [str(gunicorn), "minhu.wsgi:application", "--workers", str(workers), "--preload"]
            + ["--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog", "256"],
            env={**env, "MINHU_WARM_UP": "1"},
            cwd=REPO,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/api/v1/appeals/")  # 401: the app answers
                c.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start in 300 s (log: {log})")

    def cpu(self) -> float:
        return tree_cpu(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except Exception:
            self.proc.kill()
            self.proc.wait(30)
        self.log.close()


def start_worker(env: dict, log: Path):
    """`minhu worker` when jobs go to the queue (procrastinate on PostgreSQL): routing runs
    there. None with the inline backend (routing runs in the web worker after the answer)."""
    import subprocess

    from django.conf import settings

    if getattr(settings, "MINHU_JOBS", "inline") != "procrastinate":
        return None
    minhu = Path(sys.executable).parent / "minhu"
    out = open(log, "ab")
    return subprocess.Popen([str(minhu), "worker"], env=env, cwd=REPO, stdout=out, stderr=out)


def post(port: int, token: str, body: bytes) -> tuple[int, float, bytes]:
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request(
            "POST",
            "/api/v1/appeals/",
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        r = c.getresponse()
        data = r.read()
        return r.status, time.perf_counter() - t, data
    finally:
        c.close()


def bodies(labeled, ids, seed: int):
    rng = random.Random(seed)
    while True:
        subject, detail, _label = labeled[rng.randrange(len(labeled))]
        yield json.dumps(
            {
                "channel": "hotline",
                "subject": subject[:200],
                "detail": (detail or subject)[:5000],
                "appellant_name": "王先生",
                "appellant_phone": f"139{rng.randrange(10**8):08d}",
                "grid": rng.choice(ids["grids"]),
            },
            ensure_ascii=False,
        ).encode()


def drive(port: int, token: str, concurrency: int, seconds: float, gen) -> dict:
    """`concurrency` threads post for `seconds`; returns latencies, status counts, response size."""
    lock = threading.Lock()
    lat: list[float] = []
    codes: dict[int, int] = {}
    sizes: list[int] = []
    stop_at = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop_at:
            with lock:
                body = next(gen)
            try:
                code, took, data = post(port, token, body)
            except OSError:
                code, took, data = 0, 0.0, b""
            with lock:
                codes[code] = codes.get(code, 0) + 1
                if code == 201:
                    lat.append(took)
                    sizes.append(len(data))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "wall": time.perf_counter() - t0,
        "gen_cpu": time.process_time() - cpu0,
        "lat": sorted(lat),
        "codes": codes,
        "size": statistics.median(sizes) if sizes else 0,
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- PostgreSQL statistics ----------------------------------------------------------------


def pg(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)


def reset_statements(conn) -> None:
    conn.execute("SELECT pg_stat_statements_reset()")


def statements(conn) -> list[tuple]:
    """(query, calls, plan ms, exec ms, plans) of the app's statements since the reset."""
    return conn.execute(
        "SELECT query, calls, total_plan_time, total_exec_time, plans FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND query NOT ILIKE '%pg_stat_statements%'"
    ).fetchall()


# --- raw inserts ----------------------------------------------------------------------------


def raw_rows(labeled, ids, n: int = 500) -> tuple[list[str], list[list]]:
    """Columns and values of `n` appeal rows as Django would insert them (every column)."""
    from django.db import connection

    from minhu.appeals.models import Appeal, Channel

    rng = random.Random(3)
    fields = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
    rows = []
    for _ in range(n):
        subject, detail, _label = labeled[rng.randrange(len(labeled))]
        grid = rng.choice(ids["grids"])
        obj = Appeal(
            channel=Channel.HOTLINE,
            subject=subject[:200],
            detail=detail or subject,
            appellant_name="王先生",
            appellant_phone=f"139{rng.randrange(10**8):08d}",
            grid_id=grid,
            street_id=ids["grid_street"][grid].pk,
        )
        rows.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    return [f.column for f in fields], rows


def raw_inserts(url: str, concurrency: int, seconds: float, columns, rows) -> tuple[int, float]:
    """Single-row INSERTs (one commit each) into a copy of the appeal table with its indexes."""
    import string

    stop_at = time.monotonic() + seconds
    counts = [0] * concurrency
    code_at = columns.index("code")
    sql = (
        f"INSERT INTO bench_raw_appeal ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )

    def worker(i: int):
        rng = random.Random()
        with pg(url) as conn:
            while time.monotonic() < stop_at:
                row = list(rows[rng.randrange(len(rows))])
                row[code_at] = "".join(rng.choices(string.ascii_uppercase + string.digits, k=12))
                conn.execute(sql, row)
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), time.perf_counter() - t0


# --- the run --------------------------------------------------------------------------------


def routed_backlog(since_id: int) -> int:
    """Appeals after `since_id` still waiting for routing (no decision and still new)."""
    from minhu.appeals.models import Appeal, Status

    return (
        Appeal.objects.filter(pk__gt=since_id, status=Status.NEW, routing_decisions__isnull=True)
        .distinct()
        .count()
    )


def signal_tree(pid: int, sig: int) -> None:
    """Send `sig` to `pid` and its descendants."""
    for child in child_pids(pid):
        signal_tree(child, sig)
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def level(
    args, url, server, cluster, token, gen, concurrency, stats_conn, worker_cpu, worker=None
) -> dict:
    import signal

    from django.db.models import Max

    from minhu.appeals.models import Appeal

    first_id = Appeal.objects.aggregate(m=Max("pk"))["m"] or 0
    reset_statements(stats_conn)
    app0, pg0, w0 = server.cpu(), tree_cpu(cluster.postmaster_pid()), worker_cpu()
    paused = bool(args.pause_worker and worker is not None)
    if paused:  # routing waits: the level measures intake alone, the drain measures routing
        signal_tree(worker.pid, signal.SIGSTOP)
    try:
        r = drive(server.port, token, concurrency, args.seconds, gen)
    finally:
        if paused:
            signal_tree(worker.pid, signal.SIGCONT)
    app1, pg1 = server.cpu(), tree_cpu(cluster.postmaster_pid())
    rows = statements(stats_conn)
    n = len(r["lat"])
    out = {
        "c": concurrency,
        "n": n,
        "rate": n / r["wall"],
        "p50": pct(r["lat"], 50) * 1000,
        "p99": pct(r["lat"], 99) * 1000,
        "app_cpu": (app1 - app0) / max(n, 1) * 1000,
        "pg_cpu": (pg1 - pg0) / max(n, 1) * 1000,
        "gen_cpu": r["gen_cpu"] / max(n, 1) * 1000,
        "codes": r["codes"],
        "size": r["size"],
    }
    out["sql"] = sum(q[1] for q in rows) / max(n, 1)
    out["plan"] = sum(q[2] for q in rows) / max(n, 1)
    out["exec"] = sum(q[3] for q in rows) / max(n, 1)
    out["top"] = sorted(rows, key=lambda q: -(q[2] + q[3]))[:5]
    # Wait for routing to catch up (after-commit jobs, or a queue worker).
    t = time.perf_counter()
    left = routed_backlog(first_id)
    while left and time.perf_counter() - t < args.drain_seconds:
        time.sleep(0.5)
        left = routed_backlog(first_id)
    out["drain"] = time.perf_counter() - t
    out["left"] = left
    out["worker_cpu"] = (worker_cpu() - w0) / max(n, 1) * 1000
    return out


def print_level(r: dict) -> None:
    load = os.getloadavg()[0]
    codes = " ".join(f"{k}:{v}" for k, v in sorted(r["codes"].items()))
    print(
        f"  c={r['c']:<3} {r['rate']:7.1f} appeals/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:7.1f} ms"
        f"  | CPU/intake: app {r['app_cpu']:5.1f} ms, PostgreSQL {r['pg_cpu']:4.1f} ms,"
        f" load gen {r['gen_cpu']:4.1f} ms"
        + (f", worker (routing) {r['worker_cpu']:5.1f} ms" if r["worker_cpu"] else "")
        + f"  | SQL/intake {r['sql']:5.1f}, plan {r['plan']:5.2f} ms, exec {r['exec']:5.2f} ms"
        f"  | 201 body {r['size']:.0f} B; {codes}; load {load:.1f}",
        flush=True,
    )
    if r["left"] or r["drain"] > 1:
        print(f"        routing backlog drained in {r['drain']:.1f} s, {r['left']} left")


def routing_mode() -> str:
    from django.conf import settings

    try:
        import minhu.appeals.jobs  # noqa: F401
    except ImportError:
        return "in the request (on commit, before the response)"
    if getattr(settings, "MINHU_JOBS", "inline") == "procrastinate":
        return "a queued job (procrastinate), run by one `minhu worker` process"
    return "inline job, in the web worker after the response is sent"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--open", default="500,30000", help="open appeals, cumulative steps")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--seconds", type=float, default=15, help="per concurrency level")
    ap.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    ap.add_argument("--drain-seconds", type=float, default=120)
    ap.add_argument("--no-model", action="store_true", help="keyword rules, no classifier")
    ap.add_argument("--no-raw", action="store_true")
    ap.add_argument("--top", action="store_true", help="print the costliest statements")
    ap.add_argument("--shared-buffers", default="256MB")
    ap.add_argument(
        "--pause-worker",
        action="store_true",
        help="stop the routing worker (SIGSTOP) while a level posts, resume it for the drain: "
        "intake's own rate, as on a deployment whose worker runs on other cores",
    )
    args = ap.parse_args()
    steps = [int(x) for x in args.open.split(",")]
    levels = [int(x) for x in args.concurrency.split(",")]

    votes, labeled = read_texts()
    cluster = pgcluster.start_cluster(
        {
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "shared_buffers": args.shared_buffers,
            "max_connections": "200",
            "shared_preload_libraries": "pg_stat_statements",
            "pg_stat_statements.track_planning": "on",
            "pg_stat_statements.max": "10000",
        },
        prefix="minhu-intake-pg.",
    )
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "MINHU_DEBUG": "0",
        "MINHU_SECRET_KEY": "intake-bench-not-a-secret",
        "MINHU_REGISTRY_KEY": "dGVzdC1yZWdpc3RyeS1rZXktMzItYnl0ZXMtbG9uZyE=",
        "DJANGO_SETTINGS_MODULE": "minhu.settings",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    }
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    log = Path(cluster.data.parent) / "gunicorn.log"
    server = worker = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(
            f"PostgreSQL (fsync on) at {cluster.url}; migrated in {time.perf_counter() - t:.0f} s;"
            f" routing: {routing_mode()}{' (paused while a level posts)' if args.pause_worker else ''};"
            f" DB options: {settings.DATABASES['default'].get('OPTIONS') or '{}'}",
            flush=True,
        )
        ids = set_up(labeled, not args.no_model)
        stats_conn = pg(cluster.url)
        stats_conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        stats_conn.execute(
            "CREATE TABLE bench_raw_appeal (LIKE appeals_appeal INCLUDING DEFAULTS "
            "INCLUDING INDEXES INCLUDING IDENTITY)"
        )
        gen = bodies(labeled, ids, seed=7)
        loaded = 0
        results = []
        for step, n_open in enumerate(steps):
            load_open(n_open - loaded, votes, ids, seed=step)
            loaded = n_open
            server = Server(env, args.workers, log)
            worker = start_worker(env, log)
            worker_cpu = (lambda w=worker: tree_cpu(w.pid)) if worker else (lambda: 0.0)
            # Warm-up: every worker answers once (first requests load the model, gazetteer).
            t = time.perf_counter()
            warm = drive(server.port, ids["token"], args.workers, 3, gen)
            print(
                f"open appeals {n_open:,} (+ those posted); warm-up {len(warm['lat'])} requests in "
                f"{time.perf_counter() - t:.1f} s, slowest {max(warm['lat'] or [0]) * 1000:.0f} ms",
                flush=True,
            )
            for c in levels:
                r = level(
                    args,
                    cluster.url,
                    server,
                    cluster,
                    ids["token"],
                    gen,
                    c,
                    stats_conn,
                    worker_cpu,
                    worker,
                )
                print_level(r)
                results.append((n_open, r))
                if args.top:
                    for q in r["top"]:
                        print(
                            f"        {q[1] / max(r['n'], 1):5.2f}/intake plan {q[2] / max(q[1], 1):6.3f} ms"
                            f" exec {q[3] / max(q[1], 1):6.3f} ms  {' '.join(q[0].split())[:110]}"
                        )
            server.stop()
            server = None
            if worker:
                worker.terminate()
                worker.wait(60)
                worker = None
        if not args.no_raw:
            print("raw single-row INSERTs through psycopg (one commit each, same indexes):")
            columns, rows = raw_rows(labeled, ids)
            for c in levels:
                n, wall = raw_inserts(cluster.url, c, min(args.seconds, 10), columns, rows)
                print(f"  c={c:<3} {n / wall:7.1f} rows/s", flush=True)
    finally:
        if server:
            server.stop()
        if worker and worker.poll() is None:
            worker.kill()
        from django.db import connections

        connections.close_all()
        cluster.stop()


if __name__ == "__main__":
    main()
