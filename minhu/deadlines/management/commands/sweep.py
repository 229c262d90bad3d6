"""`minhu sweep`: record missed deadlines and warn units (see minhu.deadlines.sweep)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from minhu.core.commands import add_loop_argument, run_loop
from minhu.deadlines.sweep import BATCH_SIZE, sweep_deadlines


class Command(BaseCommand):
    help = "记录超时环节并提醒责任单位（即将超时 / 已超时）。Run from cron, or with --loop."

    def add_arguments(self, parser):
        add_loop_argument(parser)
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

        def run_pass() -> None:
            nonlocal moment
            started = time.monotonic()
            stats = sweep_deadlines(moment, batch_size=batch_size)
            self.stdout.write(
                f"{timezone.localtime():%Y-%m-%d %H:%M:%S} sweep "
                + " ".join(f"{k}={v}" for k, v in stats.items())
                + f" in {time.monotonic() - started:.2f}s"
            )
            if loop and moment is not None:
                moment += dt.timedelta(seconds=loop)

        run_loop(run_pass, loop)
