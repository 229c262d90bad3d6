"""Residents' endpoints: file without an account, track by code (+ phone), rate."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from minhu.appeals import actions
from minhu.appeals.models import Appeal, CollectionPoint, FollowUp, Satisfaction, Status
from minhu.appeals.tests.factories import client_for, error_code, not_an_image, png
from minhu.orgs.api.permissions import PublicRateThrottle

PUBLIC = "/api/v1/public/appeals/"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def _file(client, **extra):
    body = {
        "subject": "垃圾清运不及时",
        "detail": "小区垃圾桶已经三天没有清运了",
        "appellant_name": "王五",
        "appellant_phone": PHONE,
        **extra,
    }
    return client.post(PUBLIC, body, format="multipart")


def _answered(org, appeal: Appeal) -> Appeal:
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)
    actions.resolve(appeal, actor=org.s1_handler, outcome_kind="on_spot", outcome="已安排清运")
    actions.reply(appeal, actor=org.s1_handler, text="您好，垃圾已清运，今后每天清运一次。")
    return appeal


def test_file_with_photos_and_track(org):
    anon = client_for(None)
    r = _file(anon, grid=org.grid1.pk, attachments=[png("a.png"), png("b.png")])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "new" and len(body["code"]) == 10
    # The link to give the resident is the H5 tracking page, not the JSON API.
    assert body["tracking_url"].endswith(f"/h5/track/{body['code']}/")
    assert body["api_url"].endswith(f"/api/v1/public/appeals/{body['code']}/")
    # (it asks for the phone first: the form comes back with the code filled in)
    page = Client().get(body["tracking_url"].split("testserver", 1)[-1], follow=True)
    assert page.status_code == 200 and "text/html" in page["Content-Type"]
    assert body["code"] in page.content.decode()
    appeal = Appeal.objects.get(code=body["code"])
    assert appeal.channel == "h5" and appeal.registered_by is None
    assert appeal.attachments.count() == 2 and appeal.street == org.street1

    r = anon.get(f"{PUBLIC}{body['code']}/", HTTP_X_APPELLANT_PHONE=PHONE)
    assert r.status_code == 200
    view = r.json()
    assert view["subject"] == "垃圾清运不及时" and view["can_rate"] is False
    assert [e["kind"] for e in view["timeline"]] == ["register"]
    assert "appellant_phone" not in view and "appellant_name" not in view
    # Lower-case code with spaces in the phone works too.
    r = anon.get(f"{PUBLIC}{body['code'].lower()}/", HTTP_X_APPELLANT_PHONE="139 1234 5678")
    assert r.status_code == 200


def test_wrong_code_or_phone_is_404(org):
    anon = client_for(None)
    code = _file(anon).json()["code"]
    for phone, url in [
        ("13900000000", f"{PUBLIC}{code}/"),
        (None, f"{PUBLIC}{code}/"),
        (PHONE, f"{PUBLIC}ZZZZZZZZZZ/"),
    ]:
        r = anon.get(url, **({"HTTP_X_APPELLANT_PHONE": phone} if phone else {}))
        assert r.status_code == 404 and error_code(r) == "not_found"
    r = anon.post(f"{PUBLIC}{code}/rate/", {"phone": "13900000000", "satisfaction": "satisfied"})
    assert r.status_code == 404 and error_code(r) == "not_found"


def test_anonymous_appeal_tracks_by_code_alone(org):
    anon = client_for(None)
    r = _file(anon, appellant_kind="anonymous", appellant_phone="", appellant_name="")
    assert r.status_code == 201
    assert anon.get(f"{PUBLIC}{r.json()['code']}/").status_code == 200


def test_public_channel_rules_and_validation(org):
    anon = client_for(None)
    r = _file(anon, channel="hotline")
    assert r.status_code == 400 and "channel" in r.json()["error"]["details"]
    r = _file(anon, appellant_phone="")
    assert r.status_code == 400 and error_code(r) == "required"
    r = _file(anon, attachments=[not_an_image()])
    assert r.status_code == 400 and error_code(r) == "invalid_file_type"
    r = _file(anon, attachments=[png(f"{i}.png") for i in range(10)])
    assert r.status_code == 400 and "attachments" in r.json()["error"]["details"]
    r = _file(anon, detail="短")
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "detail"
    assert Appeal.objects.count() == 0


def test_collection_point_sets_the_channel(org):
    CollectionPoint.objects.create(
        name="营商服务中心", code="biz-hall", unit=org.street1, channel="enterprise"
    )
    anon = client_for(None)
    r = _file(
        anon, collection_point="biz-hall", appellant_kind="enterprise", enterprise_name="某某公司"
    )
    assert r.status_code == 201, r.content
    appeal = Appeal.objects.get(code=r.json()["code"])
    assert appeal.channel == "enterprise" and appeal.collection_point.code == "biz-hall"
    r = _file(anon, collection_point="no-such-point")
    assert r.status_code == 400 and "collection_point" in r.json()["error"]["details"]


def test_rate_satisfied_and_twice(org):
    anon = client_for(None)
    appeal = _answered(org, Appeal.objects.get(code=_file(anon).json()["code"]))
    url = f"{PUBLIC}{appeal.code}/"
    assert anon.get(url, HTTP_X_APPELLANT_PHONE=PHONE).json()["can_rate"] is True
    r = anon.post(url + "rate/", {"phone": PHONE, "satisfaction": "satisfied"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "replied" and r.json()["satisfaction"] == "satisfied"
    assert r.json()["can_rate"] is False
    assert FollowUp.objects.filter(appeal=appeal, source="resident").count() == 1
    r = anon.post(url + "rate/", {"phone": PHONE, "satisfaction": "unsatisfied"}, format="json")
    assert r.status_code == 409 and error_code(r) == "already_rated"
    appeal.refresh_from_db()
    assert appeal.status == Status.REPLIED and appeal.satisfaction == Satisfaction.SATISFIED


def test_rate_before_reply_and_bad_choice(org):
    anon = client_for(None)
    code = _file(anon).json()["code"]
    r = anon.post(f"{PUBLIC}{code}/rate/", {"phone": PHONE, "satisfaction": "satisfied"})
    assert r.status_code == 409 and error_code(r) == "not_replied"
    r = anon.post(f"{PUBLIC}{code}/rate/", {"phone": PHONE, "satisfaction": "great"})
    assert r.status_code == 400 and "satisfaction" in r.json()["error"]["details"]


def test_merged_appellant_rates_the_main_appeal(org):
    anon = client_for(None)
    main = Appeal.objects.get(code=_file(anon).json()["code"])
    child_code = _file(anon, appellant_phone="13700000000").json()["code"]
    actions.merge(Appeal.objects.get(code=child_code), actor=org.dispatcher, parent=main)
    _answered(org, main)
    child_url = f"{PUBLIC}{child_code}/"
    view = anon.get(child_url, HTTP_X_APPELLANT_PHONE="13700000000").json()
    assert view["status"] == "merged" and view["can_rate"] is True
    assert "merged_into" in [e["kind"] for e in view["timeline"]]
    r = anon.post(child_url + "rate/", {"phone": "13700000000", "satisfaction": "basic"})
    assert r.status_code == 200 and r.json()["can_rate"] is False


def test_public_endpoints_are_throttled(org, monkeypatch):
    monkeypatch.setattr(PublicRateThrottle, "THROTTLE_RATES", {"public": "5/min"})
    anon = client_for(None)
    codes = [anon.get(f"{PUBLIC}NOSUCHCODE/").status_code for _ in range(6)]
    assert codes == [404] * 5 + [429]
    r = anon.get(f"{PUBLIC}NOSUCHCODE/")
    assert r.status_code == 429 and error_code(r) == "throttled"
    assert "Retry-After" in r
    # Staff endpoints are not counted against residents' budget.
    assert client_for(org.dispatcher).get("/api/v1/appeals/").status_code == 200
