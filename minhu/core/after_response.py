"""Work that must not delay an HTTP answer: `defer(fn, *args)` runs `fn` after the response has
been sent (when the WSGI server closes it: Django's `request_finished`), in the same worker;
outside a request (commands, the shell, tests calling verbs) it runs at once.

Intake routing (classification, duplicates, automatic dispatch) goes through it, scheduled by
`transaction.on_commit`: the appellant's receipt does not wait for it. It is the stand-in for
the job queue: the work still runs in the web worker, after the answer, and a failure is logged
and never reaches the client."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started

logger = logging.getLogger("minhu")
_local = threading.local()


def defer(fn: Callable[..., Any], *args: Any) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        fn(*args)
    else:
        pending.append((fn, args))


def _started(**kwargs) -> None:
    _local.pending = []


def _finished(**kwargs) -> None:
    pending, _local.pending = getattr(_local, "pending", None), None
    for fn, args in pending or ():
        try:
            fn(*args)
        except Exception:
            logger.exception("work after the response failed: %s%r", fn.__name__, args)


request_started.connect(_started, dispatch_uid="minhu.after_response.started")
request_finished.connect(_finished, dispatch_uid="minhu.after_response.finished")
