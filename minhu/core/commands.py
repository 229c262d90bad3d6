"""Plumbing shared by the management commands that can run as long-lived workers (`--loop`)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import ModuleType

from django.core.management.base import CommandParser
from django.db import close_old_connections, connection


def add_loop_argument(parser: CommandParser) -> None:
    """`--loop SECONDS`: run as a long-lived worker (see `run_loop`)."""
    parser.add_argument(
        "--loop",
        type=float,
        metavar="SECONDS",
        help="keep running, one pass every SECONDS (a long-running worker; stops on SIGTERM)",
    )


def run_loop(
    run_pass: Callable[[], None], seconds: float | None, *, clock: ModuleType = time
) -> None:
    """Call `run_pass` once, or, with `seconds`, once every `seconds` until SIGTERM or Ctrl-C.

    Before each pass broken or expired database connections are dropped. `clock` provides
    `sleep` and `monotonic` (a command passes its own `time` so tests can drive the wait).
    """
    stopping: list[bool] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True)) if seconds else None
    try:
        while True:
            fresh_connections()
            run_pass()
            if not seconds or not _wait(seconds, stopping, clock):
                return
    finally:
        if seconds:
            signal.signal(signal.SIGTERM, previous)


def fresh_connections() -> None:
    """A long-running worker drops broken or expired connections before each pass (not inside
    an open transaction, as when a test calls the command)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _wait(seconds: float, stopping: list[bool], clock: ModuleType) -> bool:
    """Sleep up to `seconds`, waking each second to notice SIGTERM; False when told to stop."""
    try:
        deadline = clock.monotonic() + seconds
        while not stopping and clock.monotonic() < deadline:
            clock.sleep(min(1.0, max(0.0, deadline - clock.monotonic())))
    except KeyboardInterrupt:
        return False
    return not stopping
