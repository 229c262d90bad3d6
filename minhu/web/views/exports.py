"""xlsx exports of the staff lists: start one from a list, watch its progress, download it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from minhu.core.errors import DomainError

from .. import actions, exports
from ..filters import paginate
from ..models import ExportStatus, ListExport
from .common import is_htmx, safe_next


def _mine(request, pk: int) -> ListExport:
    """The user's own export (anyone else's is "not found")."""
    export = ListExport.objects.filter(pk=pk, created_by=request.user).first()
    if export is None:
        raise Http404()
    return export


@login_required
@require_POST
def export_start(request):
    """Export the list the form was posted from, with its filters (the page's query string). A
    small one downloads at once; a large one opens its progress page."""
    back = safe_next(request, reverse("web:home"))
    try:
        export = actions.start_export(
            actor=request.user,
            list_name=request.POST.get("list", ""),
            params=request.POST.get("params", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if export.total_rows <= exports.INLINE_ROWS:
        export = actions.write_export(export.pk)
        return _download(export)
    return redirect("web:export", export.pk)


@login_required
def export_list(request):
    page = paginate(request, ListExport.objects.filter(created_by=request.user))
    return render(request, "web/exports/list.html", {"page": page})


@login_required
def export_detail(request, pk: int):
    export = _mine(request, pk)
    template = "web/exports/_status.html" if is_htmx(request) else "web/exports/detail.html"
    return render(request, template, {"export": export})


def _download(export: ListExport) -> FileResponse:
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file_name)


@login_required
def export_file(request, pk: int):
    export = _mine(request, pk)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404()
    return _download(export)
