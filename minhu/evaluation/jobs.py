"""Scheduled refresh of the daily aggregates (idempotent: recomputes the changed days)."""

from minhu.core.jobs import job

from . import aggregates


@job(periodic="*/15 * * * *", lock="minhu.aggregates", retry=2)
def refresh_aggregates() -> dict:
    return aggregates.refresh()


@job(retry=0)
def run_history_import(*, import_id: int) -> None:
    """A large historical work-order import (progress on its HistoryImport row)."""
    from . import importer

    importer.run_import(import_id)
