"""The desk's background job: writing a large list export (progress on its row)."""

from __future__ import annotations

from minhu.core.jobs import job


@job(retry=2)
def run_export(*, export_id: int) -> None:
    from . import actions

    actions.write_export(export_id)
