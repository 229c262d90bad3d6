"""Scheduled deadline work: missed steps, due-soon and overdue notices (idempotent: every
record and notice is keyed, and the sweep holds its own lock)."""

from minhu.core.jobs import job

from .sweep import sweep_deadlines


@job(periodic="*/5 * * * *", lock="minhu.sweep", retry=2)
def sweep() -> dict:
    return sweep_deadlines()
