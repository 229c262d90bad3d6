"""Real server processes: `minhu serve` with DEBUG=0 (gunicorn, preloaded workers, static
files through whitenoise) and a rate limit that holds across two processes sharing Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MINHU = [sys.executable, str(REPO / "manage.py")]
REDIS_URL = os.environ.get("MINHU_TEST_REDIS_URL", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def wait_up(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if get(url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not up after {seconds} s")


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stdout.read() if proc.stdout else ""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """A migrated SQLite database in its own MINHU_VAR_DIR, shared by this module's servers."""
    path = tmp_path_factory.mktemp("minhu-var")
    env = {**os.environ, "MINHU_VAR_DIR": str(path), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    subprocess.run([*MINHU, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)
    return path


def server_env(var_dir: Path, **extra: str) -> dict:
    env = {
        **os.environ,
        "MINHU_VAR_DIR": str(var_dir),
        "MINHU_DEBUG": "0",
        "MINHU_SECRET_KEY": "test-serving-key",
        "MINHU_REGISTRY_KEY": "dGVzdC1yZWdpc3RyeS1rZXktMzItYnl0ZXMtbG9uZyE=",
        "PYTHONPATH": str(REPO),
        **extra,
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_minhu_serve_debug_off_serves_static_and_probes(var_dir):
    port = free_port()
    proc = subprocess.Popen(
        [*MINHU, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-migrate"],
        env=server_env(var_dir),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/healthz", proc)
        status, body, headers = get(f"{base}/readyz")
        assert status == 200, body
        assert headers["Server"].startswith("gunicorn")
        # The page links the hashed, collected name; whitenoise serves it (404 before).
        status, page, _ = get(f"{base}/login/")
        assert status == 200
        css = page.decode().split('href="/static/web/app.', 1)[1].split('"', 1)[0]
        digest = css.split(".")[0]
        assert len(digest) == 12 and css.endswith(".css"), f"not a hashed name: app.{css}"
        status, body, headers = get(f"{base}/static/web/app.{css}")
        assert status == 200 and b"{" in body
        assert "max-age=315360000" in headers.get("Cache-Control", "")
        status, body, _ = get(f"{base}/static/vendor/htmx/htmx.min.js")
        assert status == 200 and len(body) > 10_000
        assert get(f"{base}/static/nope.js")[0] == 404
    finally:
        output = stop(proc)
    assert "Booting worker" in output, output[-2000:]
    assert "warm-up done" in output, output[-2000:]  # loaded once in the master (--preload)


def start_gunicorn(var_dir: Path, port: int, env: dict) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    return subprocess.Popen(
        [gunicorn, "minhu.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=server_env(var_dir, **env),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def count_allowed(var_dir: Path, env: dict, requests: int = 12) -> tuple[int, int]:
    """Two single-worker servers; alternate `requests` public look-ups between them and count
    (answered, throttled). Collect static first: DEBUG=0 pages need the manifest."""
    ports = [free_port(), free_port()]
    procs = [start_gunicorn(var_dir, p, env) for p in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_up(f"http://127.0.0.1:{port}/healthz", proc)
        answered = throttled = 0
        for i in range(requests):
            status, _body, _ = get(f"http://127.0.0.1:{ports[i % 2]}/api/v1/public/appeals/NOPE/")
            if status == 429:
                throttled += 1
            else:
                assert status == 404, status
                answered += 1
        return answered, throttled
    finally:
        for proc in procs:
            stop(proc)


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: run under scripts/with-redis.sh")
def test_rate_limit_holds_across_two_processes_with_redis(var_dir):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    rate = {"MINHU_PUBLIC_API_RATE": "4/min"}
    # Without a shared cache each process counts on its own: the limit doubles.
    assert count_allowed(var_dir, {**rate, "MINHU_REDIS_URL": ""}) == (8, 4)
    # With Redis the two processes share one count.
    assert count_allowed(var_dir, {**rate, "MINHU_REDIS_URL": REDIS_URL}) == (4, 8)
