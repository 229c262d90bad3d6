"""The appeal's background jobs: the intake hooks (settings.MINHU_INTAKE_HOOKS: routing's
classification, location, duplicates and automatic dispatch) for a newly registered appeal,
queued by `register_appeal` in its own transaction and run by `minhu worker` (inline: after
commit, and after the HTTP answer when registered through a request)."""

from django.conf import settings
from django.utils.module_loading import import_string

from minhu.core.jobs import job


@job(retry=3)
def run_intake_hooks(*, appeal_id: int) -> None:
    """Idempotent: routing acts only on an appeal that is still new and not yet routed."""
    for path in getattr(settings, "MINHU_INTAKE_HOOKS", []):
        import_string(path)(appeal_id)


@job(periodic="17 3 * * *", lock="minhu.partitions", retry=2)
def ensure_partitions() -> list[str]:
    """Daily: the event table's monthly partitions for the months ahead, on PostgreSQL
    (minhu.core.partitions; nothing to do on SQLite)."""
    from minhu.core import partitions

    return partitions.ensure()
