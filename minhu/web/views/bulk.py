"""Bulk actions on the rows selected in a list; the result lists each row, and why it failed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.core.errors import DomainError, InvalidInput

from .. import bulk
from ..forms import handling_units
from ..permissions import may_open
from .common import safe_next


def _options(request, name: str) -> dict:
    if name == "claim":
        raw = request.POST.get("unit_id", "")
        return {"unit_id": int(raw) if raw.isdigit() else None}
    if name == "dispatch":
        raw = request.POST.get("lead_unit", "")
        unit = handling_units().filter(pk=int(raw)).first() if raw.isdigit() else None
        if unit is None:
            raise InvalidInput(_("请选择主办单位"), code="required", field="lead_unit")
        return {"lead_unit": unit}
    return {}


@login_required
@require_POST
def bulk_action(request, name: str):
    action = bulk.ACTIONS.get(name)
    if action is None:
        raise Http404()
    if action.page and not may_open(request.user, action.page):
        raise PermissionDenied(_("您无权访问此页面"))
    back = safe_next(request, reverse("web:home"))
    try:
        results = bulk.run(
            name, actor=request.user, ids=request.POST.getlist("ids"), **_options(request, name)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    failed = [r for r in results if not r.ok]
    ctx = {
        "action": action,
        "results": results,
        "failed": failed,
        "done": len(results) - len(failed),
        "back": back,
    }
    return render(request, "web/bulk/result.html", ctx)
