"""The desk's verbs (state changes of the web app's own records): list exports."""

from __future__ import annotations

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.core.jobs import enqueue

from . import exports
from .models import ExportStatus, ListExport
from .permissions import may_open


def check_export(actor, list_name: str) -> None:
    """The guard of `start_export`: a list that may be exported, by a user who may open it."""
    spec = exports.LISTS.get(list_name)
    if spec is None:
        raise InvalidInput(_("不能导出该列表"), code="unknown_list", field="list")
    if (
        actor is None
        or not actor.is_authenticated
        or (spec.page and not may_open(actor, spec.page))
    ):
        raise PermissionDenied(_("您无权导出该列表"))


@transaction.atomic
def start_export(*, actor, list_name: str, params: str) -> ListExport:
    """Record an export of list `list_name` with the query string `params` (the page's filters),
    counting its rows. A large one is written by a background job (`web.jobs.run_export`); a
    small one (≤ exports.INLINE_ROWS) is left for the caller to `write_export` at once."""
    check_export(actor, list_name)
    params = (params or "")[:2000]
    rows = exports.rows_for(actor, list_name, params)
    total = rows.queryset.count()
    if total > exports.MAX_ROWS:
        raise InvalidInput(
            _("共 %(n)s 条，超过单次导出上限 %(max)s 条，请缩小筛选范围")
            % {"n": total, "max": exports.MAX_ROWS},
            code="too_many_rows",
        )
    export = ListExport.objects.create(
        created_by=actor,
        list_name=list_name,
        params=params,
        title=rows.title[:200],
        language=get_language() or "zh-hans",
        total_rows=total,
    )
    if total > exports.INLINE_ROWS:
        from .jobs import run_export

        enqueue(run_export, export_id=export.pk)
    return export


def write_export(export_id: int) -> ListExport:
    """Write the export's file (progress on its row, outside a transaction so the progress page
    sees it). Idempotent: a finished export is left as it is; a rerun rewrites the file."""
    export = ListExport.objects.select_related("created_by").get(pk=export_id)
    if export.finished:
        return export
    ListExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, done_rows=0)

    def progress(n: int) -> None:
        ListExport.objects.filter(pk=export.pk).update(done_rows=n)

    try:
        with override(export.language):
            rows = exports.rows_for(export.created_by, export.list_name, export.params)
            with exports.temporary_file() as tmp:
                n = exports.write(
                    export.title, rows.queryset.iterator(chunk_size=2000), tmp, progress
                )
                tmp.seek(0)
                export.file.save(f"export-{export.pk}.xlsx", File(tmp), save=False)
    except Exception as exc:
        ListExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    ListExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE,
        file=export.file.name,
        done_rows=n,
        total_rows=n,
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export
