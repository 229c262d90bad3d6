"""Load what the first request would otherwise load (the routing classifier, the gazetteer,
the text-search libraries), once in the server's master process before it forks its workers
(`gunicorn --preload`, which `minhu serve` uses): workers start warm and share those pages.
"""

from __future__ import annotations

import logging
import time

from django.db import connections

logger = logging.getLogger("minhu.warmup")


def warm_up() -> dict[str, float]:
    """Load the heavy objects; returns seconds per step. Never raises: a database that is not
    up yet only means the workers load them on first use. Closes every database connection
    afterwards so forked workers do not share the master's sockets."""
    timings: dict[str, float] = {}

    def step(name: str, fn) -> None:
        started = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # warm-up is an optimisation; the request path still works
            logger.warning("warm-up step %s skipped: %s", name, exc)
        timings[name] = round(time.perf_counter() - started, 3)

    def libraries() -> None:
        from minhu.routing import textclf  # noqa: F401  (numpy, scipy, scikit-learn)

    def classifier() -> None:
        from minhu.routing.classifier import active_model

        active_model()

    def gazetteer() -> None:
        from minhu.routing.location import gazetteer as load

        load()

    try:
        step("libraries", libraries)
        step("classifier", classifier)
        step("gazetteer", gazetteer)
    finally:
        connections.close_all()
    logger.info("warm-up done: %s", timings)
    return timings
