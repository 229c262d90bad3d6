"""Saved views (个人视图): a user names a list's current filters and opens them again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.core.errors import DomainError, NotFound

from .. import actions, exports
from .common import safe_next


@login_required
@require_POST
def view_save(request):
    list_name = request.POST.get("list", "")
    back = safe_next(request, reverse("web:home"))
    try:
        view = actions.save_view(
            actor=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            params=request.POST.get("params", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("已保存视图“%(name)s”") % {"name": view.name})
    url = reverse(exports.LISTS[list_name].url)
    return redirect(f"{url}?{view.params}" if view.params else url)


@login_required
@require_POST
def view_delete(request, pk: int):
    try:
        actions.delete_view(pk, actor=request.user)
    except NotFound:
        raise Http404()
    messages.success(request, _("已删除视图"))
    return redirect(safe_next(request, reverse("web:home")))
