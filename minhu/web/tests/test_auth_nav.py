"""Login/logout in Chinese, role-aware navigation, home redirects, the notifications bell."""

import pytest
from django.urls import reverse

from minhu.notifications.models import Notification, NotificationChannel
from minhu.orgs.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    r = client.get(reverse("web:login"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "工作人员登录" in html and "用户名" in html and "密码" in html


def test_login_with_wrong_password_shows_chinese_error(client, org):
    r = client.post(reverse("web:login"), {"username": "dispatcher", "password": "wrong"})
    assert r.status_code == 200
    assert "正确的" in r.content.decode()  # Django's zh-hans message
    assert "_auth_user_id" not in client.session


def test_login_then_home_goes_to_role_page(client, org):
    r = client.post(
        reverse("web:login"), {"username": "dispatcher", "password": PASSWORD}, follow=True
    )
    assert r.redirect_chain[-1][0] == reverse("web:dispatch")


@pytest.mark.parametrize(
    "user,target",
    [
        ("dispatcher", "web:dispatch"),
        ("admin", "web:dispatch"),
        ("s1_handler", "web:workbench"),
        ("s1_leader", "web:workbench"),
        ("callback", "web:follow_up"),
        ("district_leader", "web:overview"),
        ("grid1_worker", "web:appeals"),
    ],
)
def test_home_redirects_by_role(login, org, user, target):
    r = login(getattr(org, user)).get(reverse("web:home"))
    assert r.status_code == 302 and r.url == reverse(target)


def test_anonymous_is_sent_to_login(client):
    for name in ("web:home", "web:dispatch", "web:workbench", "web:appeals", "web:manage_units"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and r.url.startswith(reverse("web:login")), name


def test_logout_is_a_post(login, org):
    client = login(org.dispatcher)
    r = client.post(reverse("web:logout"))
    assert r.status_code == 302
    assert client.get(reverse("web:dispatch")).status_code == 302


NAV = {
    "调度中心": "/dispatch/",
    "登记诉求": "/appeals/new/",
    "单位工作台": "/workbench/",
    "回访销号": "/follow-up/",
    "诉求查询": "/appeals/",
    "运行概览": "/overview/",
    "系统管理": "/manage/",
}


@pytest.mark.parametrize(
    "user,visible",
    [
        ("dispatcher", {"调度中心", "登记诉求", "回访销号", "诉求查询", "运行概览"}),
        ("admin", {"调度中心", "登记诉求", "回访销号", "诉求查询", "运行概览", "系统管理"}),
        ("s1_handler", {"登记诉求", "单位工作台", "诉求查询"}),
        ("s1_leader", {"登记诉求", "单位工作台", "诉求查询", "运行概览"}),
        ("callback", {"回访销号", "诉求查询"}),
        ("district_leader", {"诉求查询", "运行概览"}),
        ("grid1_worker", {"登记诉求", "诉求查询"}),
    ],
)
def test_navigation_shows_only_what_the_roles_may_use(login, org, user, visible):
    client = login(getattr(org, user))
    html = client.get(reverse("web:appeals")).content.decode()
    nav = html.split('class="nav"', 1)[1].split("</nav>", 1)[0]
    shown = {label for label in NAV if f"<span>{label}</span>" in nav}
    assert shown == visible
    # And the hidden pages really are closed.
    for label in set(NAV) - visible:
        assert client.get(NAV[label]).status_code == 403, label


def _notify(user, title="新派单：路灯不亮", read=False):
    from django.utils import timezone

    return Notification.objects.create(
        kind="dispatched",
        channel=NotificationChannel.IN_APP,
        recipient=user,
        title=title,
        read_at=timezone.now() if read else None,
    )


def test_bell_counts_unread_in_app_notifications_only(login, org):
    _notify(org.s1_handler)
    _notify(org.s1_handler)
    _notify(org.s1_handler, read=True)
    _notify(org.s2_handler)
    Notification.objects.create(
        kind="dispatched", channel=NotificationChannel.SMS, recipient=org.s1_handler, title="短信"
    )
    client = login(org.s1_handler)
    html = client.get(reverse("web:appeals")).content.decode()
    assert 'data-unread="2"' in html
    r = client.get(reverse("web:notifications_bell"))
    assert 'data-unread="2"' in r.content.decode()


def test_notifications_list_and_mark_read(login, org):
    mine = _notify(org.s1_handler, "派单甲")
    other = _notify(org.s2_handler, "别人的")
    client = login(org.s1_handler)
    html = client.get(reverse("web:notifications")).content.decode()
    assert "派单甲" in html and "别人的" not in html
    r = client.post(reverse("web:notification_read", args=[mine.pk]))
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    # Someone else's notification: not found, and untouched.
    assert client.post(reverse("web:notification_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    html = client.get(reverse("web:notifications")).content.decode()
    assert "暂无数据" in html


def test_mark_all_read(login, org):
    for i in range(3):
        _notify(org.s1_handler, f"通知{i}")
    keep = _notify(org.s2_handler)
    client = login(org.s1_handler)
    client.post(reverse("web:notifications_read_all"))
    assert not Notification.objects.filter(recipient=org.s1_handler, read_at__isnull=True).exists()
    keep.refresh_from_db()
    assert keep.read_at is None


def test_opening_a_notification_goes_to_its_appeal(login, org, make_appeal):
    a = make_appeal()
    n = _notify(org.s1_handler)
    n.appeal = a
    n.save()
    r = login(org.s1_handler).post(reverse("web:notification_read", args=[n.pk]), {"open": "1"})
    assert r.status_code == 302 and r.url == reverse("web:appeal", args=[a.pk])
