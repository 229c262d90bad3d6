"""Role-aware navigation and the unread notifications count for every staff page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from minhu.notifications.models import Notification, NotificationChannel
from minhu.orgs.scope import scope_of

from .permissions import may_open

# (url name, label, page group or None for everyone, match prefix)
NAV = [
    ("web:dispatch", _("调度中心"), "dispatch", "/dispatch/"),
    ("web:intake", _("登记诉求"), "intake", "/appeals/new/"),
    ("web:workbench", _("单位工作台"), "workbench", "/workbench/"),
    ("web:follow_up", _("回访销号"), "follow_up", "/follow-up/"),
    ("web:appeals", _("诉求查询"), None, "/appeals/"),
    ("web:overview", _("运行概览"), "overview", "/overview/"),
    ("web:manage", _("系统管理"), "manage", "/manage/"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    items = []
    for name, label, page, prefix in NAV:
        if page is not None and not may_open(user, page):
            continue
        active = path.startswith(prefix) and not (
            prefix == "/appeals/" and path.startswith("/appeals/new/")
        )
        items.append(
            {"url": reverse(name), "label": label, "active": active, "key": page or "appeals"}
        )
    unread = Notification.objects.filter(
        recipient=user, channel=NotificationChannel.IN_APP, read_at__isnull=True
    ).count()
    scope = scope_of(user)
    return {"nav_items": items, "unread_count": unread, "user_scope": scope}
