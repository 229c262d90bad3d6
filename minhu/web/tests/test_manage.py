"""Administration pages: only admins; units, users and roles, categories, time limits,
calendar overrides, collection points."""

import datetime as dt

import pytest
from django.urls import reverse

from minhu.appeals.models import CollectionPoint
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.orgs.models import Membership, Unit, User

pytestmark = pytest.mark.django_db

PAGES = [
    "web:manage_units",
    "web:manage_users",
    "web:manage_categories",
    "web:manage_time_limits",
    "web:manage_calendar",
    "web:manage_points",
    "web:manage_unit_new",
    "web:manage_user_new",
    "web:manage_category_new",
    "web:manage_time_limit_new",
    "web:manage_point_new",
]


def test_only_admins(login, org):
    for user in (org.dispatcher, org.s1_leader, org.district_leader):
        client = login(user)
        for name in PAGES:
            assert client.get(reverse(name)).status_code == 403, name
        r = client.post(
            reverse("web:manage_unit_new"), {"name": "x", "code": "x", "kind": "street"}
        )
        assert r.status_code == 403
    assert not Unit.objects.filter(code="x").exists()
    client = login(org.admin)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_unit_list_filters(login, org):
    client = login(org.admin)
    html = client.get(reverse("web:manage_units") + "?kind=department").content.decode()
    assert "区城管局" in html and "东街道" not in html
    html = client.get(reverse("web:manage_units") + "?q=西").content.decode()
    assert "西街道" in html and "区城管局" not in html
    html = client.get(reverse("web:manage_units") + "?q=不存在的单位").content.decode()
    assert "暂无数据" in html


def test_create_and_edit_unit(login, org):
    client = login(org.admin)
    r = client.post(
        reverse("web:manage_unit_new"),
        {"name": "南街道", "code": "s3", "kind": "street", "parent": org.district.pk},
    )
    assert r.status_code == 302
    unit = Unit.objects.get(code="s3")
    assert unit.parent == org.district and unit.path.startswith(org.district.path)
    r = client.post(
        reverse("web:manage_unit", args=[unit.pk]),
        {
            "name": "南湖街道",
            "code": "s3",
            "kind": "street",
            "parent": org.district.pk,
            "active": "on",
        },
    )
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "南湖街道"


def test_unit_parent_must_fit_the_tree(login, org):
    client = login(org.admin)
    r = client.post(
        reverse("web:manage_unit_new"),
        {"name": "错的网格", "code": "bad", "kind": "grid", "parent": org.street1.pk},
    )
    assert r.status_code == 400
    assert "「网格」的上级应为" in r.content.decode()
    assert not Unit.objects.filter(code="bad").exists()
    r = client.post(
        reverse("web:manage_unit", args=[org.street1.pk]),
        {
            "name": "东街道",
            "code": "s1",
            "kind": "street",
            "parent": org.district.pk,
            "paired_communities": [org.community1.pk],
        },
    )
    assert "只有区直部门可以结对社区" in r.content.decode()


def test_deactivate_unit_refused_with_open_appeals(login, org, loop, make_appeal):
    loop.in_progress(make_appeal())
    client = login(org.admin)
    r = client.post(reverse("web:manage_unit_toggle", args=[org.street1.pk]), follow=True)
    assert "未办结的诉求" in r.content.decode()
    org.street1.refresh_from_db()
    assert org.street1.active
    r = client.post(reverse("web:manage_unit_toggle", args=[org.dept3.pk]), follow=True)
    org.dept3.refresh_from_db()
    assert not org.dept3.active and "已停用" in r.content.decode()
    client.post(reverse("web:manage_unit_toggle", args=[org.dept3.pk]))
    org.dept3.refresh_from_db()
    assert org.dept3.active


def test_create_user_with_role_and_login(login, org, client):
    admin = login(org.admin)
    r = admin.post(
        reverse("web:manage_user_new"),
        {
            "username": "newbie",
            "display_name": "新同事",
            "phone": "13700000000",
            "password": "a-good-pass-9",
            "unit": org.street2.pk,
            "role": "handler",
        },
    )
    user = User.objects.get(username="newbie")
    assert r.status_code == 302 and r.url == reverse("web:manage_user", args=[user.pk])
    assert Membership.objects.filter(user=user, unit=org.street2, role="handler").exists()
    client.logout()
    assert client.login(username="newbie", password="a-good-pass-9")


def test_create_user_errors(login, org):
    r = login(org.admin).post(
        reverse("web:manage_user_new"),
        {"username": "dispatcher", "password": "short", "unit": org.street2.pk, "role": "handler"},
    )
    html = r.content.decode()
    assert r.status_code == 400 and "已存在" in html and "密码太短" in html


def test_set_password_and_memberships(login, org, client):
    admin = login(org.admin)
    url = reverse("web:manage_user", args=[org.s2_handler.pk])
    r = admin.post(
        url,
        {
            "op": "password",
            "new_password1": "brand-new-pass-1",
            "new_password2": "brand-new-pass-1",
        },
    )
    assert r.status_code == 302
    r = admin.post(url, {"op": "password", "new_password1": "abc", "new_password2": "abd"})
    assert r.status_code == 400 and "两次输入的密码不一致" in r.content.decode()
    r = admin.post(url, {"op": "membership", "unit": org.dept1.pk, "role": "unit_leader"})
    assert Membership.objects.filter(
        user=org.s2_handler, unit=org.dept1, role="unit_leader"
    ).exists()
    r = admin.post(url, {"op": "membership", "unit": org.dept1.pk, "role": "unit_leader"})
    assert r.status_code == 400 and "已有此角色" in r.content.decode()
    m = Membership.objects.get(user=org.s2_handler, unit=org.street2)
    admin.post(url, {"op": "membership_toggle", "membership": m.pk})
    m.refresh_from_db()
    assert not m.active
    client.logout()
    assert client.login(username="s2h", password="brand-new-pass-1")


def test_admin_cannot_deactivate_self(login, org):
    url = reverse("web:manage_user", args=[org.admin.pk])
    r = login(org.admin).post(url, {"op": "profile", "display_name": "管理员"})
    assert r.status_code == 400 and "不能停用自己的账号" in r.content.decode()
    org.admin.refresh_from_db()
    assert org.admin.is_active


def test_user_list_filters(login, org):
    client = login(org.admin)
    html = client.get(reverse("web:manage_users") + "?role=callback").content.decode()
    assert "回访员" in html and ">dispatcher<" not in html
    html = client.get(reverse("web:manage_users") + f"?unit={org.dept1.pk}").content.decode()
    assert ">d1h<" in html and ">d2h<" not in html


def test_categories(login, org):
    client = login(org.admin)
    r = client.post(
        reverse("web:manage_category_new"),
        {
            "name": "井盖缺失",
            "code": "manhole",
            "parent": org.top_category.pk,
            "keywords": "井盖 丢失",
            "sort": 0,
            "active": "on",
            "default_lead_unit": org.dept1.pk,
        },
    )
    assert r.status_code == 302
    cat = Category.objects.get(code="manhole")
    assert cat.parent == org.top_category and cat.default_lead_unit == org.dept1
    html = client.get(reverse("web:manage_categories")).content.decode()
    assert "井盖缺失" in html and "路灯照明" in html
    # A first-level category with children cannot become second-level.
    other = Category.objects.create(name="社会治安", code="security")
    r = client.post(
        reverse("web:manage_category", args=[org.top_category.pk]),
        {"name": "城乡建设", "code": "urban", "parent": other.pk, "sort": 0},
    )
    assert r.status_code == 400 and "已有二级分类" in r.content.decode()


def test_time_limits(login, org):
    client = login(org.admin)
    html = client.get(reverse("web:manage_time_limits")).content.decode()
    assert "内置默认时限" in html and "工作日" in html
    r = client.post(
        reverse("web:manage_time_limit_new"),
        {
            "step": "resolve",
            "category": org.category.pk,
            "urgency": "",
            "amount": "5",
            "measure": "working_days",
        },
    )
    assert r.status_code == 302
    row = TimeLimitPolicy.objects.get()
    assert row.amount == 5 and row.category == org.category
    r = client.post(
        reverse("web:manage_time_limit_new"),
        {
            "step": "resolve",
            "category": org.category.pk,
            "urgency": "",
            "amount": "3",
            "measure": "working_days",
        },
    )
    assert r.status_code == 400 and TimeLimitPolicy.objects.count() == 1
    r = client.post(
        reverse("web:manage_time_limit_new"),
        {"step": "claim", "amount": "0", "measure": "working_hours"},
    )
    assert "时限必须大于0" in r.content.decode()
    client.post(reverse("web:manage_time_limit_delete", args=[row.pk]))
    assert not TimeLimitPolicy.objects.exists()


def test_calendar_overrides(login, org):
    client = login(org.admin)
    r = client.post(
        reverse("web:manage_calendar"),
        {"date": "2031-02-08", "is_workday": "1", "name": "春节调休上班"},
    )
    assert r.status_code == 302 and r.url.endswith("?year=2031")
    row = CalendarOverride.objects.get()
    assert row.date == dt.date(2031, 2, 8) and row.is_workday
    html = client.get(r.url).content.decode()
    assert "春节调休上班" in html and "尚未覆盖 2031 年" in html
    r = client.post(reverse("web:manage_calendar"), {"date": "2031-02-08", "is_workday": "0"})
    assert r.status_code == 400 and CalendarOverride.objects.count() == 1
    client.post(reverse("web:manage_calendar_delete", args=[row.pk]))
    assert not CalendarOverride.objects.exists()


def test_collection_points(login, org):
    client = login(org.admin)
    r = client.post(
        reverse("web:manage_point_new"),
        {
            "name": "东一社区服务站",
            "code": "dong-1",
            "unit": org.community1.pk,
            "channel": "h5",
            "address": "东一路1号",
            "active": "on",
        },
    )
    assert r.status_code == 302
    point = CollectionPoint.objects.get(code="dong-1")
    html = client.get(reverse("web:manage_points")).content.decode()
    assert "东一社区服务站" in html
    from minhu.web.views.manage import qr_url

    if qr_url(point.code):
        assert f"/h5/qr/{point.code}.svg" in html
    html = client.get(reverse("web:manage_points") + "?q=没有").content.decode()
    assert "暂无数据" in html
