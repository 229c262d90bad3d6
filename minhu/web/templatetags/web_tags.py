"""Template helpers of the staff web app: badges, query strings, dates."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from minhu.appeals.models import Status, Urgency

from ..due import DUE_STATES, STEP_STATE_LABELS

register = template.Library()

STATUS_CLASS = {
    Status.NEW: "b-new",
    Status.DISPATCHED: "b-dispatched",
    Status.IN_PROGRESS: "b-progress",
    Status.ESCALATED: "b-escalated",
    Status.RETURNED: "b-returned",
    Status.RESOLVED: "b-resolved",
    Status.REPLIED: "b-replied",
    Status.CLOSED: "b-closed",
    Status.MERGED: "b-merged",
}
URGENCY_CLASS = {Urgency.NORMAL: "", Urgency.URGENT: "u-urgent", Urgency.CRITICAL: "u-critical"}
DUE_CLASS = {
    "overdue": "d-overdue",
    "due_soon": "d-soon",
    "on_time": "d-ok",
    "done_on_time": "d-done",
    "done_late": "d-late",
}


@register.simple_tag
def status_badge(status: str, label: str = "") -> str:
    if not label:
        try:
            label = Status(status).label
        except ValueError:
            label = status
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASS.get(status, ""), label)


@register.simple_tag
def urgency_badge(urgency: str) -> str:
    if not urgency or urgency == Urgency.NORMAL:
        return ""
    return format_html(
        '<span class="badge {}">{}</span>', URGENCY_CLASS.get(urgency, ""), Urgency(urgency).label
    )


@register.simple_tag
def due_badge(state: str, due=None) -> str:
    if not state:
        return ""
    label = DUE_STATES.get(state) or STEP_STATE_LABELS.get(state, "")
    title = timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else ""
    return format_html(
        '<span class="badge {}" title="{}">{}</span>', DUE_CLASS.get(state, ""), title, label
    )


@register.simple_tag(takes_context=True)
def qs(context, **changes) -> str:
    """The current query string with some parameters replaced (None/"" removes them)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def appeal_supervision(context, appeal) -> dict:
    """The appeal's open 督办 and whether the user may put it under supervision (asking the
    verb's own guard, evaluation.actions.check_supervise_appeal)."""
    from minhu.core.errors import DomainError
    from minhu.evaluation.actions import check_supervise_appeal
    from minhu.evaluation.models import Supervision, SupervisionStatus

    open_sup = (
        Supervision.objects.filter(appeal=appeal, status=SupervisionStatus.OPEN)
        .select_related("created_by")
        .first()
    )
    try:
        check_supervise_appeal(context["request"].user, appeal)
    except DomainError:
        may = False
    else:
        may = True
    return {"open": open_sup, "may": may}


@register.simple_tag(takes_context=True)
def saved_views(context, list_name: str) -> dict:
    """The user's saved views of one list, its URL and the current filters as a view keeps
    them (to mark the open view)."""
    from django.urls import reverse

    from ..actions import clean_view_params
    from ..exports import LISTS
    from ..models import SavedView

    request = context["request"]
    context["list_url"] = reverse(LISTS[list_name].url)
    context["current_params"] = clean_view_params(request.GET.urlencode())
    return list(SavedView.objects.filter(user=request.user, list_name=list_name))


@register.simple_tag(takes_context=True)
def sort_menu(context) -> list:
    """The sort menu's choices, with the current sort among them when a column header chose
    one the menu does not list (so filtering keeps it)."""
    from ..filters import SORT_COLUMNS, SORT_MENU

    current = context["request"].GET.get("sort", "")
    choices = list(SORT_MENU)
    if current and current not in dict(choices) and current.lstrip("-") in SORT_COLUMNS:
        choices.append((current, _("按列排序（%(key)s）") % {"key": current}))
    return choices


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, css: str = "") -> str:
    """A sortable column header: a link that sorts by `key`, ascending first, then descending
    (web.filters.SORT_COLUMNS); the current column shows its direction and `aria-sort`."""
    current = context.get("sort") or context["request"].GET.get("sort", "")
    if current == key:
        target, arrow, aria = f"-{key}", " ↑", "ascending"
    elif current == f"-{key}":
        target, arrow, aria = key, " ↓", "descending"
    else:
        target, arrow, aria = key, "", "none"
    return format_html(
        '<th class="{}" aria-sort="{}"><a href="{}" data-sort="{}">{}{}</a></th>',
        css,
        aria,
        qs(context, sort=target),
        key,
        label,
        arrow,
    )


@register.filter
def dtm(value) -> str:
    """Short local date-time: 05-07 14:30 (with the year when not this year)."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        if local.year != timezone.localtime().year:
            return local.strftime("%Y-%m-%d %H:%M")
        return local.strftime("%m-%d %H:%M")
    return str(value)


@register.filter
def full_dt(value) -> str:
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def until(value) -> str:
    """Time left (or overdue by) until a due time, compact Chinese."""
    if not value:
        return ""
    delta = value - timezone.now()
    seconds = int(delta.total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    if seconds >= 86400:
        days, hours = seconds // 86400, (seconds % 86400) // 3600
        if hours:
            text = pgettext("compact duration", "%(d)s天%(h)s小时") % {"d": days, "h": hours}
        else:
            text = pgettext("compact duration", "%(n)s天") % {"n": days}
    elif seconds >= 3600:
        text = pgettext("compact duration", "%(n)s小时") % {"n": seconds // 3600}
    else:
        text = pgettext("compact duration", "%(n)s分钟") % {"n": max(1, seconds // 60)}
    return _("超时%(t)s") % {"t": text} if late else _("剩%(t)s") % {"t": text}


@register.filter
def ago(value) -> str:
    if not value:
        return ""
    seconds = int((timezone.now() - value).total_seconds())
    if seconds < 60:
        return _("刚刚")
    if seconds < 3600:
        return _("%(n)s分钟前") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)s小时前") % {"n": seconds // 3600}
    return _("%(n)s天前") % {"n": seconds // 86400}


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pct(part, whole) -> int:
    try:
        return round(100 * part / whole) if whole else 0
    except (TypeError, ZeroDivisionError):
        return 0


@register.filter
def role_label(value: str) -> str:
    from minhu.orgs.models import Role

    try:
        return Role(value).label
    except ValueError:
        return value


@register.simple_tag
def appeal_attributes(appeal) -> list[tuple[str, str]]:
    """The appeal's per-category fields as [(label, value)] (minhu.categories.fields)."""
    from minhu.categories.fields import display_attributes

    return display_attributes(appeal.category, appeal.attributes)
