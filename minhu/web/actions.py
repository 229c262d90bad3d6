"""The desk's verbs (state changes of the web app's own records): list exports and saved
views."""

from __future__ import annotations

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.core.jobs import enqueue

from . import exports
from .models import ExportStatus, ListExport, SavedView
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


MAX_VIEWS = 20  # per user and list
NOT_SAVED = ("page", "id")  # where one is in the list, not what it shows


def clean_view_params(params: str) -> str:
    """A list's query string as a view keeps it: empty values, the page and the open row
    dropped."""
    q = QueryDict(params or "", mutable=True)
    for key in NOT_SAVED:
        q.pop(key, None)
    for key in list(q.keys()):
        values = [v for v in q.getlist(key) if v.strip()]
        if values:
            q.setlist(key, values)
        else:
            q.pop(key)
    return q.urlencode()[:2000]


@transaction.atomic
def save_view(*, actor, list_name: str, name: str, params: str) -> SavedView:
    """Save the list's current filters under `name` (the same name again replaces them)."""
    check_export(actor, list_name)  # the lists that may be exported may be saved, by the same users
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写视图名称"), code="required", field="name")
    if len(name) > 40:
        raise InvalidInput(_("视图名称不能超过40个字"), code="too_long", field="name")
    mine = SavedView.objects.select_for_update().filter(user=actor, list_name=list_name)
    view = mine.filter(name=name).first()
    if view is None and mine.count() >= MAX_VIEWS:
        raise InvalidInput(
            _("每个列表最多保存 %(n)s 个视图，请先删除不用的") % {"n": MAX_VIEWS},
            code="too_many_views",
        )
    params = clean_view_params(params)
    if view is None:
        return SavedView.objects.create(user=actor, list_name=list_name, name=name, params=params)
    view.params = params
    view.save(update_fields=["params"])
    return view


@transaction.atomic
def delete_view(view_id: int, *, actor) -> None:
    """Delete one of the actor's own views (anyone else's is "not found")."""
    view = SavedView.objects.select_for_update().filter(pk=view_id, user=actor).first()
    if view is None:
        raise NotFound()
    view.delete()
