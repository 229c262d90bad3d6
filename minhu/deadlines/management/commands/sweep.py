"""`minhu sweep`: record missed deadlines and warn units (see minhu.deadlines.sweep)."""

from __future__ import annotations

import datetime as dt
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from minhu.deadlines.sweep import BATCH_SIZE, sweep_deadlines


class Command(BaseCommand):
    help = "记录超时环节并提醒责任单位（即将超时 / 已超时）。Run from cron, or with --loop."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, one pass every SECONDS (a long-running worker; stops on SIGTERM)",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--now", help="pretend it is this moment (ISO 8601, local time if naive)"
        )

    def handle(self, *args, loop=None, batch_size=BATCH_SIZE, now=None, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO 8601 date-time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if loop is not None and loop <= 0:
            raise CommandError("--loop SECONDS must be positive")
        stopping: list[bool] = []
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True)) if loop else None
        try:
            while True:
                started = time.monotonic()
                _fresh_connections()
                stats = sweep_deadlines(moment, batch_size=batch_size)
                self.stdout.write(
                    f"{timezone.localtime():%Y-%m-%d %H:%M:%S} sweep "
                    + " ".join(f"{k}={v}" for k, v in stats.items())
                    + f" in {time.monotonic() - started:.2f}s"
                )
                if not loop or not _wait(loop, stopping):
                    return
                if moment is not None:
                    moment += dt.timedelta(seconds=loop)
        finally:
            if loop:
                signal.signal(signal.SIGTERM, previous)


def _fresh_connections() -> None:
    """A long-running worker drops broken or expired connections before each pass (not inside
    an open transaction, as when a test calls the command)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _wait(seconds: float, stopping: list[bool]) -> bool:
    """Sleep up to `seconds`, waking each second to notice SIGTERM; False when told to stop."""
    try:
        deadline = time.monotonic() + seconds
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        return False
    return not stopping
