"""Role-aware navigation and the unread notifications count for every staff page."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
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
    ("routing:admin", _("智能分拨"), "routing", "/routing/"),
    ("routing:hotspots", _("热点问题"), "hotspots", "/routing/hotspots/"),
    ("evaluation:dashboard", _("考核评价"), "evaluation", "/evaluation/"),
    ("registry:households", _("户籍台账"), "registry", "/registry/"),
    ("visits:home", _("入户走访"), "visits", "/visits/"),
    ("consultation:rooms", _("有事好商量"), "consultation", "/consultation/"),
    ("services:desk", _("服务超市"), "services", "/services/"),
    ("deputies:suggestions", _("代表建议"), "deputies", "/deputies/"),
    ("surveys:list", _("问卷调查"), "surveys", "/surveys/"),
    ("wechat:groups", _("微信群"), "wechat", "/wechat/"),
    ("happiness:listings", _("幸福清单"), "happiness", "/happy/"),
    ("web:manage", _("系统管理"), "manage", "/manage/"),
]


def _active_prefix(path: str) -> str | None:
    """The most specific nav prefix the path is under (/appeals/new/ before /appeals/)."""
    return max((p for *_rest, p in NAV if path.startswith(p)), key=len, default=None)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    active_prefix = _active_prefix(request.path)
    items = []
    for name, label, page, prefix in NAV:
        if page is not None and not may_open(user, page):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # an app that is not installed in this deployment
            continue
        items.append(
            {
                "url": url,
                "label": label,
                "active": prefix == active_prefix,
                "key": page or "appeals",
            }
        )
    unread = Notification.objects.filter(
        recipient=user, channel=NotificationChannel.IN_APP, read_at__isnull=True
    ).count()
    scope = scope_of(user)
    return {"nav_items": items, "unread_count": unread, "user_scope": scope}
