"""`minhu worker`: runs the background jobs (minhu/core/jobs.py).

PostgreSQL (procrastinate): retries the jobs of dead workers, then runs procrastinate's worker
(jobs, periodic schedules, heartbeats) until SIGTERM/SIGINT, which finish the running jobs.
SQLite (inline): jobs already run after their request commits; this runs the periodic ones on
their cron schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import time

from croniter import croniter
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from minhu.core import jobs

logger = logging.getLogger("minhu.jobs")


class Command(BaseCommand):
    help = "Run the background jobs and the periodic schedule (sweep, delivery, aggregates...)."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=1)
        parser.add_argument("--queues", default="", help="comma separated (default: all)")
        parser.add_argument(
            "--once", action="store_true", help="run what is due now, then exit (no waiting)"
        )

    def handle(self, *args, concurrency=1, queues="", once=False, **opts):
        jobs.autodiscover()
        if jobs.backend() == "procrastinate":
            self._procrastinate(concurrency, [q for q in queues.split(",") if q], once)
        else:
            self._inline(once)

    def _procrastinate(self, concurrency: int, queues: list[str], once: bool) -> None:
        from procrastinate.contrib.django import app

        # The Django connector only defers; a worker needs its own async connections.
        with app.replace_connector(app.connector.get_worker_connector()) as worker_app:

            async def main() -> None:
                async with worker_app.open_async():
                    retried = await jobs.retry_stalled_jobs(
                        worker_app, settings.MINHU_WORKER_STALLED_SECONDS
                    )
                    self.stdout.write(
                        f"minhu worker: procrastinate, {retried} stalled jobs put back"
                    )
                    self.stdout.flush()
                    await worker_app.run_worker_async(
                        queues=queues or None,
                        concurrency=concurrency,
                        wait=not once,
                        update_heartbeat_interval=settings.MINHU_WORKER_HEARTBEAT_SECONDS,
                        stalled_worker_timeout=settings.MINHU_WORKER_STALLED_SECONDS,
                        install_signal_handlers=True,
                        delete_jobs="successful",
                    )

            asyncio.run(main())

    def _inline(self, once: bool) -> None:
        periodic = jobs.periodic_jobs()
        self.stdout.write(
            "minhu worker: inline backend (SQLite); periodic: "
            + ", ".join(f"{j.name} [{j.periodic}]" for j in periodic)
        )
        self.stdout.flush()
        stopping: list[bool] = []
        if not once:
            signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        start = timezone.localtime()
        due = {j.name: croniter(j.periodic, start).get_next(dt.datetime) for j in periodic}
        if once:
            due = dict.fromkeys(due, start)
        while not stopping:
            now = timezone.localtime()
            for j in periodic:
                if due[j.name] <= now:
                    close_old_connections()
                    jobs.run_inline(j, {})
                    self.stdout.write(f"ran {j.name}")
                    self.stdout.flush()
                    due[j.name] = croniter(j.periodic, now).get_next(dt.datetime)
            if once:
                return
            try:
                time.sleep(1)
            except KeyboardInterrupt:
                return
