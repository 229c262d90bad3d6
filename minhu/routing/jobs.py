"""Scheduled retraining of the routing classifier (MINHU_RETRAIN_CRON, weekly by default):
`route-retrain`, which activates the new model only when it is not worse on a recent window.
A run without enough labelled history logs why and stops (no retry)."""

import io
import logging

from django.conf import settings
from django.core.management import CommandError, call_command

from minhu.core.jobs import job

logger = logging.getLogger("minhu.routing")


@job(periodic=settings.MINHU_RETRAIN_CRON or None, lock="minhu.retrain", retry=1)
def retrain_classifier() -> str:
    out = io.StringIO()
    try:
        call_command("route-retrain", stdout=out)
    except CommandError as exc:
        logger.warning("classifier not retrained: %s", exc)
        return f"skipped: {exc}"
    return out.getvalue()
