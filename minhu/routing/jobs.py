"""Scheduled retraining of the routing classifier from closed appeals (MINHU_RETRAIN_CRON,
weekly by default). A run without enough labelled history logs why and stops (no retry)."""

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
        call_command("route-train", "--from-history", stdout=out)
    except CommandError as exc:
        logger.warning("classifier not retrained: %s", exc)
        return f"skipped: {exc}"
    return out.getvalue()
