"""Small helpers shared by the views."""

from __future__ import annotations

from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from minhu.appeals.access import access_appeal
from minhu.appeals.models import Appeal
from minhu.core.errors import DomainError, NotFound


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def visible_appeal_or_404(user, pk) -> Appeal:
    try:
        return access_appeal(user, pk)
    except NotFound:
        raise Http404(_("未找到该诉求"))


def form_error(form, exc: DomainError) -> None:
    """Show an action's Chinese message at its field when the form has that field."""
    field = (exc.details or {}).get("field")
    if field and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
