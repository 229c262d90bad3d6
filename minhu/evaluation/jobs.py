"""Scheduled refresh of the daily aggregates (idempotent: recomputes the changed days)."""

from minhu.core.jobs import job

from . import aggregates


@job(periodic="*/15 * * * *", lock="minhu.aggregates", retry=2)
def refresh_aggregates() -> dict:
    return aggregates.refresh()
