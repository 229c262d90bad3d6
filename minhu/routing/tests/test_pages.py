"""Pages, fragments and API: who may open what; scoping; forms through the verbs."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from minhu.appeals.models import EventKind
from minhu.orgs.testing import PASSWORD
from minhu.routing import actions
from minhu.routing.models import AppealLink, DispatchRule, MonthlyProblem, RoutingConfig

from .helpers import days_ago, register

PARKING = "阳光小区东门长期有车辆乱停乱放，堵塞消防通道，居民出行困难，希望尽快整治"


@pytest.fixture(autouse=True)
def _cache():
    cache.clear()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "name",
    ["routing:admin", "routing:rules", "routing:rule_new"],
)
def test_centre_pages_need_the_centre(client, org, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to login
    login(client, org.s1_handler)
    assert client.get(url).status_code == 403
    client.logout()
    login(client, org.dispatcher)
    assert client.get(url).status_code == 200


def test_admin_page_shows_state_and_saves_settings(client, org):
    login(client, org.dispatcher)
    page = client.get(reverse("routing:admin")).content.decode()
    assert "尚未启用分类模型" in page and "分拨设置" in page
    r = client.post(
        reverse("routing:admin"),
        {
            "form": "config",
            "auto_dispatch": "on",
            "threshold": "0.9",
            "duplicate_days": "20",
            "duplicate_radius_m": "300",
            "duplicate_min_score": "0.5",
            "hotspot_similarity": "0.4",
            "hotspot_min_size": "4",
        },
    )
    assert r.status_code == 302
    c = RoutingConfig.get()
    assert (c.threshold, c.duplicate_days, c.hotspot_min_size) == (0.9, 20, 4)
    r = client.post(reverse("routing:admin"), {"form": "config", "threshold": "2"})
    assert r.status_code == 200 and RoutingConfig.get().threshold == 0.9


def test_rules_page_create_edit_deactivate(client, org):
    login(client, org.dispatcher)
    r = client.post(
        reverse("routing:rule_new"),
        {
            "category": org.category.pk,
            "area": org.street1.pk,
            "lead_unit": org.dept1.pk,
            "assist_units": [org.dept2.pk],
            "note": "路灯归城管",
        },
    )
    assert r.status_code == 302
    rule = DispatchRule.objects.get()
    assert list(rule.assist_units.all()) == [org.dept2]
    page = client.get(reverse("routing:rules") + "?q=城管").content.decode()
    assert "路灯归城管" in page
    # Both a unit and 属地: the form says which to choose.
    r = client.post(
        reverse("routing:rule_edit", args=[rule.pk]),
        {"category": org.category.pk, "lead_unit": org.dept1.pk, "lead_local": "street"},
    )
    assert r.status_code == 200 and "二选一" in r.content.decode()
    r = client.post(
        reverse("routing:rule_edit", args=[rule.pk]),
        {"category": org.category.pk, "area": org.street1.pk, "lead_local": "street"},
    )
    rule.refresh_from_db()
    assert r.status_code == 302 and rule.lead_local == "street" and rule.lead_unit is None
    client.post(reverse("routing:rule_deactivate", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.active
    assert "已停用" in client.get(reverse("routing:rules") + "?status=all").content.decode()


def test_hotspot_page_is_scoped_and_leaders_can_mark(client, org):
    texts = [
        (
            "阳光小区停车难，车位严重不足",
            "阳光小区车位严重不足，晚上回家找不到停车位，希望增加车位",
        ),
        ("阳光小区车位不足停车难", "小区停车位太少，车辆只能停在消防通道上，停车难问题严重"),
        ("反映阳光小区停车难问题", "阳光小区停车难，车位不够，物业不管，希望规划停车位"),
        ("阳光小区停车位太少", "阳光小区停车位太少了，每天晚上停车难，希望增加停车位"),
    ]
    appeals = [
        register(org, s, d, grid=org.grid1, created_at=days_ago(0.01 * i))
        for i, (s, d) in enumerate(texts)
    ]
    url = reverse("routing:hotspots")
    login(client, org.s2_handler)  # west street: does not see the east street's appeals
    page = client.get(url).content.decode()
    assert "阳光小区" not in page and "设为每月一题" not in page
    client.logout()
    login(client, org.district_leader)
    page = client.get(url).content.decode()
    assert "阳光小区" in page and "设为每月一题" in page
    assert client.get(url + "?month=bad").status_code == 200
    r = client.post(
        reverse("routing:problem_mark"),
        {
            "title": "阳光小区停车难",
            "month": "2025-01",
            "appeal_ids": ",".join(str(a.pk) for a in appeals),
            "street": org.street1.pk,
            "terms": "停车难",
            "support": "0",
            "next": url,
        },
    )
    assert r.status_code == 302
    p = MonthlyProblem.objects.get()
    assert p.appeals.count() == 4 and p.street == org.street1
    client.logout()
    login(client, org.s1_handler)  # sees the page, cannot mark
    r = client.post(
        reverse("routing:problem_mark"),
        {"title": "再来一个题目", "month": "2025-01", "appeal_ids": str(appeals[0].pk)},
    )
    assert r.status_code == 302 and MonthlyProblem.objects.count() == 1


def test_fragments_are_scoped(client, org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    b = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    for name in ("routing:proposal", "routing:reply_check"):
        url = reverse(name, args=[a.pk])
        login(client, org.s2_handler)
        assert client.get(url).status_code == 404
        client.logout()
        login(client, org.dispatcher)
        assert client.get(url).status_code == 200
        client.logout()
    login(client, org.dispatcher)
    page = client.get(reverse("routing:proposal", args=[a.pk])).content.decode()
    assert b.code in page and "疑似重复" in page
    r = client.post(reverse("routing:reply_check", args=[a.pk]), {"text": "已收悉"})
    assert "答复过于简短" in r.content.decode()
    r = client.post(reverse("routing:link", args=[a.pk]), {"other": b.code}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已关联" in r.content.decode()
    assert AppealLink.objects.count() == 1
    r = client.post(reverse("routing:link", args=[a.pk]), {"other": b.code}, HTTP_HX_REQUEST="true")
    assert "这两件诉求已关联" in r.content.decode()


def test_handler_cannot_link(client, org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    b = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    login(client, org.s1_leader)
    r = client.post(reverse("routing:link", args=[a.pk]), {"other": b.code, "next": "/"})
    assert r.status_code == 302 and not AppealLink.objects.exists()


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_proposal_duplicates_links_reply_check(org):
    a = register(org, "东一社区路灯不亮", "东一社区门口的路灯坏了一周", grid=org.grid1)
    b = register(org, "东一社区路灯坏了", "东一社区门口的路灯坏了一周", grid=org.grid1)
    d = api(org.dispatcher)
    r = d.get(f"/api/v1/routing/appeals/{a.pk}/proposal/")
    assert r.status_code == 200 and r.json()["candidates"][0]["category_id"] == org.category.pk
    assert r.json()["source"] == "rules"
    r = d.get(f"/api/v1/routing/appeals/{a.pk}/duplicates/")
    assert [x["id"] for x in r.json()] == [b.pk]
    r = d.post(f"/api/v1/routing/appeals/{a.pk}/links/", {"other": b.code}, format="json")
    assert r.status_code == 201 and r.json()[0]["id"] == b.pk
    assert a.events.filter(kind=EventKind.LINK).count() == 1
    r = d.post(f"/api/v1/routing/appeals/{a.pk}/links/", {"other": b.code}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_linked"
    assert d.delete(f"/api/v1/routing/appeals/{a.pk}/links/?other={b.pk}").status_code == 204
    r = d.post(f"/api/v1/routing/appeals/{a.pk}/reply-check/", {"text": "已收悉"}, format="json")
    assert r.status_code == 200 and r.json()["level"] == "weak"
    r = d.post(f"/api/v1/routing/appeals/{a.pk}/reply-check/", {"text": ""}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    # Out of scope: not found.
    w = api(org.s2_handler)
    assert w.get(f"/api/v1/routing/appeals/{a.pk}/proposal/").status_code == 404
    assert (
        w.get(f"/api/v1/routing/appeals/{a.pk}/duplicates/").json()["error"]["code"] == "not_found"
    )


def test_api_centre_only_endpoints(org):
    h = api(org.s1_handler)
    for url in (
        "/api/v1/routing/models/",
        "/api/v1/routing/dispatch-rules/",
        "/api/v1/routing/config/",
    ):
        assert h.get(url).status_code == 403
    d = api(org.dispatcher)
    r = d.post(
        "/api/v1/routing/dispatch-rules/",
        {"category": org.category.pk, "lead_local": "street", "assist_units": [org.dept1.pk]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    rule_id = r.json()["id"]
    r = d.post(
        "/api/v1/routing/dispatch-rules/",
        {"category": org.category.pk, "lead_unit": org.dept2.pk},
        format="json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "rule_exists"
    r = d.put(
        f"/api/v1/routing/dispatch-rules/{rule_id}/",
        {"category": org.category.pk, "lead_unit": org.dept2.pk},
        format="json",
    )
    assert r.status_code == 200 and r.json()["lead_unit"] == org.dept2.pk
    assert d.get("/api/v1/routing/dispatch-rules/").json()["count"] == 1
    assert d.delete(f"/api/v1/routing/dispatch-rules/{rule_id}/").status_code == 204
    assert d.get("/api/v1/routing/dispatch-rules/").json()["count"] == 0
    r = d.patch("/api/v1/routing/config/", {"threshold": 0.7}, format="json")
    assert r.status_code == 200 and r.json()["effective_threshold"] == 0.7
    r = d.patch("/api/v1/routing/config/", {"threshold": 7}, format="json")
    assert r.status_code == 400
    r = d.get("/api/v1/routing/hotspots/?month=2025-13")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_month"
    assert d.get("/api/v1/routing/hotspots/").status_code == 200
    actions.update_config(actor=None, hotspot_min_size=2)


def test_list_pages_do_not_query_per_row(client, org, django_assert_max_num_queries):
    for i in range(12):
        actions.save_dispatch_rule(
            actor=org.dispatcher,
            category=org.category if i == 0 else _category(i),
            lead_unit=org.dept1,
            assist_units=[org.dept2, org.dept3],
        )
    for i in range(8):
        register(
            org,
            f"阳光小区停车难第{i}次反映",
            "阳光小区车位严重不足，停车难问题严重",
            grid=org.grid1,
        )
    login(client, org.dispatcher)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("routing:rules")).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("routing:hotspots")).status_code == 200


def _category(i):
    from minhu.categories.models import Category

    return Category.objects.create(name=f"分类{i}", code=f"c{i}")


def test_hotspot_subnav_links_only_what_the_user_may_open(client, org):
    login(client, org.district_leader)
    page = client.get(reverse("routing:hotspots")).content.decode()
    assert reverse("routing:rules") not in page
    client.logout()
    login(client, org.dispatcher)
    assert reverse("routing:rules") in client.get(reverse("routing:hotspots")).content.decode()
