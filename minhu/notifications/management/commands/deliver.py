"""`minhu deliver`: send what the outbox holds (see minhu.notifications.delivery)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minhu.core.commands import add_loop_argument, run_loop
from minhu.notifications.delivery import BATCH_SIZE, deliver_pending, sms_backend


class Command(BaseCommand):
    help = "发送待发送的通知（站内、短信）。Run from cron, or with --loop as a worker."

    def add_arguments(self, parser):
        add_loop_argument(parser)
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, loop=None, batch_size=BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if loop is not None and loop <= 0:
            raise CommandError("--loop SECONDS must be positive")
        backend = sms_backend()

        def run_pass() -> None:
            stats = deliver_pending(batch_size=batch_size, backend=backend)
            if not loop or any(stats.values()):
                self.stdout.write(
                    f"{timezone.localtime():%Y-%m-%d %H:%M:%S} deliver "
                    + " ".join(f"{k}={v}" for k, v in stats.items())
                )

        run_loop(run_pass, loop, clock=time)  # this module's `time`, so tests can drive the wait
