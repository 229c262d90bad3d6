"""The log of configuration changes in the staff web app, and the administration pages writing
through the verbs (every change lands in the log)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.core.models import ConfigChange
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Membership, Unit

pytestmark = pytest.mark.django_db
URL = "/manage/changes/"


def test_url_and_nav_link(login, org):
    assert reverse("web:manage_changes") == URL
    html = login(org.admin).get(reverse("web:manage_units")).content.decode()
    assert f'href="{URL}"' in html and "变更记录" in html


def test_only_admins(login, org):
    for user in (org.dispatcher, org.district_leader, org.s1_leader):
        assert login(user).get(URL).status_code == 403
    assert login(org.admin).get(URL).status_code == 200


def test_empty_state(login, org):
    html = login(org.admin).get(URL).content.decode()
    assert "暂无数据" in html and "没有符合条件的变更记录" in html


def test_web_writes_are_logged_and_listed(login, org):
    client = login(org.admin)
    client.post(
        reverse("web:manage_unit_new"),
        {
            "name": "南街道",
            "code": "s3",
            "kind": "street",
            "parent": org.district.pk,
            "active": "on",
        },
    )
    client.post(reverse("web:manage_unit_toggle", args=[org.dept3.pk]))
    account = org.s2_handler
    client.post(
        reverse("web:manage_user", args=[account.pk]),
        {
            "op": "password",
            "new_password1": "brand-new-pass-1",
            "new_password2": "brand-new-pass-1",
        },
    )
    m = Membership.objects.get(user=account)
    client.post(
        reverse("web:manage_user", args=[account.pk]),
        {"op": "membership_toggle", "membership": m.pk},
    )
    rows = list(ConfigChange.objects.order_by("id"))
    assert [(r.model, r.action) for r in rows] == [
        ("orgs.unit", "create"),
        ("orgs.unit", "deactivate"),
        ("orgs.user", "update"),
        ("orgs.membership", "deactivate"),
    ]
    assert all(r.actor == org.admin for r in rows)
    assert rows[2].changes == {"password": [None, "password changed"]}

    html = client.get(URL).content.decode()
    for text in ("南街道", "区教育局", "西街道承办人", "新建", "停用", "已修改", "单位", "任职"):
        assert text in html, text
    assert "brand-new" not in html and account.password not in html


def test_filters(login, org):
    org_actions.update_unit(org.dept3, actor=org.admin, phone="010-12345678")
    org_actions.update_user(org.s2_handler, actor=org.admin, display_name="西街道小王")
    root = org_actions.create_user(actor=None, username="ops", password="ops-pass-2024")
    org_actions.update_unit(org.dept2, actor=None, phone="010-22345678")
    client = login(org.admin)

    html = client.get(URL, {"model": "orgs.unit"}).content.decode()
    assert "区教育局" in html and "区住建局" in html and "西街道小王" not in html
    html = client.get(URL, {"actor": org.admin.pk}).content.decode()
    assert "区教育局" in html and "区住建局" not in html and "西街道小王" in html
    html = client.get(URL, {"action": "create"}).content.decode()
    assert ">ops</a>" in html and "区教育局" not in html
    html = client.get(URL, {"model": "orgs.unit", "object": org.dept2.pk}).content.decode()
    assert "区住建局" in html and "区教育局" not in html and "只显示编号为" in html
    html = client.get(URL, {"q": "教育"}).content.decode()
    assert "区教育局" in html and "区住建局" not in html
    today = timezone.localdate()
    html = client.get(URL, {"date_from": today.isoformat()}).content.decode()
    assert "区教育局" in html
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    html = client.get(URL, {"date_to": yesterday}).content.decode()
    assert "没有符合条件的变更记录" in html
    r = client.get(URL, {"date_from": today.isoformat(), "date_to": yesterday})
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    assert root.username == "ops"


def test_pagination_and_query_count(login, org, django_assert_max_num_queries):
    for i in range(60):
        org_actions.update_unit(org.dept3, actor=org.admin, phone=f"010-{i:04d}")
    client = login(org.admin)
    with django_assert_max_num_queries(15):
        page1 = client.get(URL).content.decode()
    assert "共 60 条" in page1 and "1 / 2" in page1 and "010-0059" in page1
    page2 = client.get(URL, {"page": 2}).content.decode()
    assert "2 / 2" in page2 and "010-0000" in page2 and "010-0059" not in page2


def test_web_errors_come_from_the_verbs(login, org, loop, make_appeal):
    """The forms only check the shape: the verbs' rules come back at the fields."""
    loop.in_progress(make_appeal(), assist=[org.dept2])
    client = login(org.admin)
    r = client.post(reverse("web:manage_unit_toggle", args=[org.dept2.pk]), follow=True)
    assert "未办结的诉求" in r.content.decode()  # an assisting unit, not only the lead
    assert Unit.objects.get(pk=org.dept2.pk).active
    r = client.post(
        reverse("web:manage_unit", args=[org.district.pk]),
        {
            "name": "测试区",
            "code": "d",
            "kind": "district",
            "parent": org.street1.pk,
            "active": "on",
        },
    )
    assert r.status_code == 400 and "上级单位不能是本单位或其下级" in r.content.decode()
    mine = Membership.objects.get(user=org.admin)
    r = client.post(
        reverse("web:manage_user", args=[org.admin.pk]),
        {"op": "membership_toggle", "membership": mine.pk},
        follow=True,
    )
    assert "不能停用自己的系统管理员角色" in r.content.decode()
    assert Membership.objects.get(pk=mine.pk).active
    assert not ConfigChange.objects.exists()


def test_unsafe_next_is_ignored(login, org):
    r = login(org.admin).post(
        reverse("web:manage_unit_toggle", args=[org.dept3.pk]), {"next": "https://evil.example/"}
    )
    assert r.status_code == 302 and r.url == reverse("web:manage_units")
