"""Background jobs: one small API over procrastinate (PostgreSQL) with an inline fallback.

    from minhu.core.jobs import job, enqueue

    @job(retry=8)                           # a task, retried with exponential back-off
    def deliver_notification(*, notification_id: int) -> None: ...

    @job(periodic="*/5 * * * *")            # also deferred on this cron schedule
    def sweep() -> None: ...

    enqueue(deliver_notification, notification_id=n.pk)   # inside or outside a transaction

Why procrastinate: the queue lives in the PostgreSQL we already run (no broker to operate or
lose), a job is deferred inside the caller's transaction (an appeal and the job that routes it
commit together or not at all), and it brings what a queue needs: retries with back-off,
periodic schedules deferred once across all workers, locks, worker heartbeats so a killed
worker's jobs are retried, and the jobs table in Django's admin for visibility.

Backends (`MINHU_JOBS`, default from the database):
- "procrastinate" (PostgreSQL): `enqueue` inserts into procrastinate_jobs in the current
  transaction; `minhu worker` runs them.
- "inline" (SQLite, the embedded default, no extra service): `enqueue` runs the job right
  after the current transaction commits (inside an HTTP request: once the answer has been sent,
  `minhu.core.after_response`), in the same process, logging (not raising) a failure;
  `minhu worker` runs only the periodic schedule.

Jobs must be idempotent: a job may run again after a worker died mid-way (at-least-once).
Each job's arguments are keyword-only JSON values.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

from minhu.core import after_response

logger = logging.getLogger("minhu.jobs")

REGISTRY: dict[str, Job] = {}


def backend() -> str:
    return settings.MINHU_JOBS


@dataclass
class Job:
    name: str
    func: Callable[..., Any]
    retry: int
    periodic: str | None
    queue: str
    lock: str | None
    task: Any = field(default=None, repr=False)

    def __call__(self, **kwargs: Any) -> Any:
        """Run now, in this process (tests, commands)."""
        return self.func(**kwargs)

    def enqueue(self, **kwargs: Any) -> None:
        enqueue(self, **kwargs)


def _worker_body(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run in a worker thread: fresh Django connections before and after each job."""

    @functools.wraps(func)
    def run(**kwargs: Any) -> Any:
        close_old_connections()
        try:
            return func(**kwargs)
        finally:
            close_old_connections()

    return run


def job(
    *,
    name: str | None = None,
    retry: int = 5,
    periodic: str | None = None,
    queue: str = "default",
    lock: str | None = None,
) -> Callable[[Callable[..., Any]], Job]:
    """Declare a job. `retry`: attempts after the first failure (exponential back-off: 2, 4,
    8 ... seconds). `periodic`: a cron line; the job is deferred on that schedule. `lock`: jobs
    with the same lock never run at the same time."""

    def decorate(func: Callable[..., Any]) -> Job:
        job_name = name or f"{func.__module__}.{func.__qualname__}"
        entry = Job(job_name, func, retry, periodic, queue, lock)
        if "procrastinate.contrib.django" in settings.INSTALLED_APPS:
            from procrastinate import RetryStrategy
            from procrastinate.contrib.django import app

            body = _worker_body(func)
            if periodic:
                # procrastinate passes the schedule's timestamp; our jobs take none.
                def periodic_body(timestamp: int) -> Any:
                    return body()

                periodic_body.__name__ = func.__name__
                target = periodic_body
            else:
                target = body
            task = app.task(
                name=job_name,
                queue=queue,
                lock=lock,
                retry=RetryStrategy(max_attempts=retry, exponential_wait=2) if retry else False,
            )(target)
            if periodic:
                task = app.periodic(cron=periodic, periodic_id=job_name)(task)
            entry.task = task
        REGISTRY[job_name] = entry
        return entry

    return decorate


def enqueue(target: Job, **kwargs: Any) -> None:
    """Run `target` in the background with these keyword arguments. On PostgreSQL the job is
    stored in the current transaction (rolled back with it); inline it runs after commit."""
    if backend() == "procrastinate":
        target.task.defer(**kwargs)
        return
    # After commit; inside an HTTP request, once the answer has been sent.
    transaction.on_commit(functools.partial(after_response.defer, run_inline, target, kwargs))


def run_inline(target: Job, kwargs: dict[str, Any]) -> None:
    try:
        target.func(**kwargs)
    except Exception:  # a failed background job must not fail the request that queued it
        logger.exception("job %s failed (inline backend)", target.name)


def periodic_jobs() -> list[Job]:
    return [j for j in REGISTRY.values() if j.periodic]


def autodiscover() -> None:
    """Import every installed app's `jobs` module (where jobs are declared)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
    for module in settings.PROCRASTINATE_IMPORT_PATHS:
        import_module(module)


async def retry_stalled_jobs(app: Any, seconds_since_heartbeat: float) -> int:
    """Put back in the queue the jobs of workers that stopped sending heartbeats (killed,
    machine lost): at-least-once, so jobs are idempotent. Returns how many."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat)
    )
    for stalled_job in stalled:
        logger.warning("retrying stalled job %s (%s)", stalled_job.id, stalled_job.task_name)
        await app.job_manager.retry_job(stalled_job)
    return len(stalled)
