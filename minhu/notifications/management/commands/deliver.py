"""`minhu deliver`: send what the outbox holds (see minhu.notifications.delivery)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from minhu.notifications.delivery import BATCH_SIZE, deliver_pending, sms_backend


class Command(BaseCommand):
    help = "发送待发送的通知（站内、短信）。Run from cron, or with --loop as a worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, one pass every SECONDS (a long-running worker; stops on SIGTERM)",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, loop=None, batch_size=BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if loop is not None and loop <= 0:
            raise CommandError("--loop SECONDS must be positive")
        backend = sms_backend()
        stopping: list[bool] = []
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True)) if loop else None
        try:
            while True:
                _fresh_connections()
                stats = deliver_pending(batch_size=batch_size, backend=backend)
                if not loop or any(stats.values()):
                    self.stdout.write(
                        f"{timezone.localtime():%Y-%m-%d %H:%M:%S} deliver "
                        + " ".join(f"{k}={v}" for k, v in stats.items())
                    )
                if not loop or not _wait(loop, stopping):
                    return
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
