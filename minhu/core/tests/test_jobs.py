"""The job queue: inline after commit on SQLite; on PostgreSQL procrastinate jobs deferred in
the caller's transaction, and a worker killed mid-job: the job is retried, its effect once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from minhu.core import jobs

pytestmark = pytest.mark.queue

REPO = Path(__file__).resolve().parents[3]


def test_every_periodic_job_is_registered():
    jobs.autodiscover()
    names = {j.name for j in jobs.periodic_jobs()}
    assert {
        "minhu.deadlines.jobs.sweep",
        "minhu.notifications.jobs.deliver",
        "minhu.evaluation.jobs.refresh_aggregates",
        "minhu.routing.jobs.retrain_classifier",
    } <= names


@pytest.mark.django_db(transaction=True)
def test_inline_backend_runs_after_commit_and_not_after_rollback(settings):
    settings.MINHU_JOBS = "inline"
    ran: list[int] = []
    probe = jobs.job(name="minhu.tests.probe")(lambda *, n: ran.append(n))
    with transaction.atomic():
        jobs.enqueue(probe, n=1)
        assert ran == []  # not before the data it needs is committed
    assert ran == [1]
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(probe, n=2)
        raise RuntimeError("rolled back")
    assert ran == [1]


@pytest.mark.django_db(transaction=True)
def test_inline_job_failure_is_logged_not_raised(settings, caplog):
    settings.MINHU_JOBS = "inline"

    def fail():
        raise ValueError("gateway down")

    failing = jobs.job(name="minhu.tests.failing")(fail)
    with transaction.atomic():
        jobs.enqueue(failing)
    assert "minhu.tests.failing failed" in caplog.text


def test_inline_worker_once_runs_the_schedule(tmp_path):
    env = {**os.environ, "MINHU_VAR_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=REPO)
    out = subprocess.run(
        [*manage, "worker", "--once"], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "minhu.deadlines.jobs.sweep [*/5 * * * *]" in out.stdout
    for name in ("deadlines.jobs.sweep", "notifications.jobs.deliver", "routing.jobs.retrain"):
        assert f"ran minhu.{name}" in out.stdout, out.stdout + out.stderr


def _pg_only():
    if connection.vendor != "postgresql":
        pytest.skip("procrastinate needs PostgreSQL")


def _database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST']}:{d['PORT']}/{d['NAME']}"


def _scalar(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _worker(*extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(REPO),
        "MINHU_JOB_MODULES": "minhu.core.tests.jobs_for_tests",
        "MINHU_WORKER_HEARTBEAT_SECONDS": "1",
        "MINHU_WORKER_STALLED_SECONDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "worker", *extra],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def job_tables(db):
    _pg_only()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS test_job_starts (id serial, key text)")
        cursor.execute("CREATE TABLE IF NOT EXISTS test_job_done (key text PRIMARY KEY)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE test_job_starts, test_job_done")


@pytest.mark.django_db(transaction=True)
def test_postgres_defer_is_part_of_the_transaction():
    _pg_only()
    from minhu.core.tests.jobs_for_tests import mark

    before = _scalar("SELECT count(*) FROM procrastinate_jobs")
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(mark, key="never")
        raise RuntimeError("rolled back")
    assert _scalar("SELECT count(*) FROM procrastinate_jobs") == before
    with transaction.atomic():
        jobs.enqueue(mark, key="once")
    assert (
        _scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'minhu.tests.mark' "
            "AND status = 'todo' AND args->>'key' = 'once'"
        )
        == 1
    )
    connection.cursor().execute("DELETE FROM procrastinate_jobs")


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_job_is_retried_and_done_once(job_tables):
    _pg_only()
    from minhu.core.tests.jobs_for_tests import mark

    jobs.enqueue(mark, key="k1", first_attempt_sleep=60)
    first = _worker()
    try:
        deadline = time.monotonic() + 90
        while _scalar("SELECT count(*) FROM test_job_starts") == 0:
            assert first.poll() is None, first.stdout.read()
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)  # mid-job: no chance to clean up
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert (
        _scalar("SELECT status::text FROM procrastinate_jobs WHERE task_name = 'minhu.tests.mark'")
        == "doing"
    )
    assert _scalar("SELECT count(*) FROM test_job_done") == 0
    time.sleep(4)  # the dead worker's heartbeat is now older than MINHU_WORKER_STALLED_SECONDS
    second = _worker("--once")
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output
    assert "1 stalled jobs put back" in output
    assert _scalar("SELECT count(*) FROM test_job_starts") == 2  # retried, not lost
    assert _scalar("SELECT count(*) FROM test_job_done") == 1  # its effect once
    assert _scalar("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')") == 0
    # Delivered again by mistake (at-least-once): still one effect.
    jobs.enqueue(mark, key="k1")
    again = _worker("--once")
    assert again.wait(120) == 0
    assert _scalar("SELECT count(*) FROM test_job_starts") == 3
    assert _scalar("SELECT count(*) FROM test_job_done") == 1
