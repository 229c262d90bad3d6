"""The deputies' background job: importing an uploaded table of suggestions."""

from __future__ import annotations

from minhu.core.jobs import job


@job(retry=0)
def run_import(*, import_id: int) -> None:
    from . import actions

    actions.run_import(import_id)
