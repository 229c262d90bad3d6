"""The API: the catalogue and orders scoped per user (a provider sees only its own; another
street "not found"), phones masked by role, the desk's verbs with stable error codes, the
figures with their definitions."""

from __future__ import annotations

from rest_framework.test import APIClient

from minhu.services import actions

from .test_services import RESIDENT, shop  # noqa: F401  (fixture)


def _client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _online(org):
    return actions.order_online(
        org.cleaning,
        community=org.community1,
        name="钱女士",
        phone=RESIDENT,
        address="幸福路1号",
        need="洗油烟机",
    )


def test_scope_of_services_and_orders(shop):  # noqa: F811
    org = shop
    order = _online(org)
    desk = _client(org.c1_handler)
    names = {s["name"] for s in desk.get("/api/v1/services/").json()["results"]}
    assert names == {"油烟机清洗", "邻里纠纷调解"}
    rows = desk.get("/api/v1/service-orders/").json()["results"]
    assert [(r["number"], r["phone"]) for r in rows] == [(order.number, RESIDENT)]

    # The provider sees its service, not the pending order; the other provider nothing.
    lejia = _client(org.provider_handler)
    assert [s["name"] for s in lejia.get("/api/v1/services/").json()["results"]] == ["油烟机清洗"]
    assert lejia.get("/api/v1/service-orders/").json()["results"] == []
    assert lejia.get(f"/api/v1/service-orders/{order.pk}/").status_code == 404
    other = _client(org.other_handler)
    assert other.get("/api/v1/services/").json()["results"] == []
    assert other.get(f"/api/v1/services/{org.cleaning.pk}/").status_code == 404
    r = other.post(f"/api/v1/service-orders/{order.pk}/place/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    r = desk.post(f"/api/v1/service-orders/{order.pk}/place/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "placed" and body["item"]["code"]
    r = desk.post(f"/api/v1/service-orders/{order.pk}/place/")
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    # Placed: the provider sees it, the phone in full (it handles the work item); the street's
    # leader sees it masked.
    rows = lejia.get("/api/v1/service-orders/").json()["results"]
    assert [r["number"] for r in rows] == [order.number]
    leader = _client(org.s1_leader).get(f"/api/v1/service-orders/{order.pk}/").json()
    assert leader["phone"] == "138****3001"


def test_desk_verbs_and_errors(shop):  # noqa: F811
    org = shop
    desk = _client(org.c1_handler)
    r = desk.post(
        "/api/v1/service-orders/",
        {
            "service": org.mediation.pk,
            "community": org.community1.pk,
            "name": "孙大爷",
            "phone": "12",
            "address": "幸福路2号",
            "need": "楼上漏水",
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_phone"
    r = desk.post(
        "/api/v1/service-orders/",
        {
            "service": org.mediation.pk,
            "community": org.community1.pk,
            "channel": "counter",
            "name": "孙大爷",
            "phone": "13800003002",
            "address": "幸福路2号",
            "need": "楼上漏水",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["status"] == "placed"
    order = _online(org)
    r = desk.post(f"/api/v1/service-orders/{order.pk}/reject/", {"reason": "暂停"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "rejected"

    r = desk.post(
        "/api/v1/services/",
        {
            "name": "助老陪诊",
            "category": "volunteer",
            "description": "志愿者陪同老人就医。",
            "provider": org.provider.pk,
            "areas": [org.community2.pk],
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_unit"
    r = desk.patch(f"/api/v1/services/{org.cleaning.pk}/", {"active": False}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False
    r = _client(org.provider_handler).patch(
        f"/api/v1/services/{org.cleaning.pk}/", {"active": True}, format="json"
    )
    assert r.status_code == 403


def test_figures(shop):  # noqa: F811
    org = shop
    actions.place_order(_online(org), actor=org.c1_handler)
    _online(org)
    r = _client(org.c1_handler).get("/api/v1/service-figures/?by=provider")
    assert r.status_code == 200
    body = r.json()
    assert body["total"]["orders"] == 2 and body["total"]["placed"] == 1
    [row] = body["rows"]
    assert row["name"] == "乐家家政服务公司" and row["done_rate"] == 0.0
    assert "÷" in body["definitions"]["satisfaction_rate"]["text"]
    assert _client(org.c1_handler).get("/api/v1/service-figures/?by=x").status_code == 400
    assert _client(org.other_handler).get("/api/v1/service-figures/").json()["rows"] == []
