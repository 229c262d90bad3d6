"""Home, the appeal search list and notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minhu.appeals.access import appeals_visible_to
from minhu.notifications.models import Notification, NotificationChannel
from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of

from ..due import with_due_state
from ..filters import AppealFilterForm, paginate, sorted_by
from .common import is_htmx, safe_next


@login_required
def home(request):
    """Each role starts where its work is."""
    scope = scope_of(request.user)
    if scope.has_role(Role.DISPATCHER, Role.ADMIN):
        return redirect("web:dispatch")
    if scope.has_role(Role.HANDLER, Role.UNIT_LEADER) and scope.acting_units(
        Role.HANDLER, Role.UNIT_LEADER
    ):
        return redirect("web:workbench")
    if scope.has_role(Role.CALLBACK):
        return redirect("web:follow_up")
    if scope.has_role(Role.DISTRICT_LEADER):
        return redirect("web:overview")
    return redirect("web:appeals")


def search_queryset(user, params):
    """The appeal search list for `params` (a QueryDict): (filter form, sort, rows). The page
    and its xlsx export both read it, so the export has exactly the page's rows."""
    filters = AppealFilterForm(params or None, user=user, extra=("outcome_kind",))
    qs = filters.apply(appeals_visible_to(user))
    qs = with_due_state(qs).select_related("category__parent", "street", "grid", "lead_unit")
    qs, sort = sorted_by(qs, params.get("sort") or "-created_at", ("-created_at", "-id"))
    return filters, sort or "-created_at", qs


@login_required
def appeal_list(request):
    filters, sort, qs = search_queryset(request.user, request.GET)
    page = paginate(request, qs)
    return render(
        request, "web/appeals/list.html", {"page": page, "filters": filters, "sort": sort}
    )


def _mine(user):
    return Notification.objects.filter(recipient=user, channel=NotificationChannel.IN_APP)


def mark_read(user, ids=None) -> int:
    """Marks the user's own in-app notifications read (all unread ones when ids is None)."""
    qs = _mine(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@login_required
def notifications(request):
    show = request.GET.get("show", "unread")
    qs = _mine(request.user).select_related("appeal")
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = paginate(request, qs.order_by("-created_at", "-id"))
    return render(request, "web/notifications/list.html", {"page": page, "show": show})


@login_required
def notifications_recent(request):
    items = list(_mine(request.user).select_related("appeal").order_by("-created_at", "-id")[:8])
    return render(request, "web/notifications/_recent.html", {"items": items})


@login_required
def notifications_bell(request):
    return render(request, "web/notifications/_bell_count.html")


@login_required
@require_POST
def notification_read(request, pk: int):
    note = get_object_or_404(_mine(request.user), pk=pk)
    mark_read(request.user, [note.pk])
    if request.POST.get("open") and note.appeal_id:
        return redirect("web:appeal", note.appeal_id)
    if is_htmx(request):
        return render(request, "web/notifications/_bell_count.html")
    return redirect(safe_next(request, reverse("web:notifications")))


@login_required
@require_POST
def notifications_read_all(request):
    mark_read(request.user)
    return redirect(safe_next(request, reverse("web:notifications")))
