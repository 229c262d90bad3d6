"""Auth, scoping, roles, input errors and illegal moves through the appeals API."""

from __future__ import annotations

import pytest
import yaml
from django.core.cache import cache
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from minhu.appeals import actions
from minhu.appeals.models import Appeal, AppealEvent, Channel, Status
from minhu.appeals.tests.factories import client_for, error_code
from minhu.orgs.models import User
from minhu.orgs.testing import PASSWORD

API = "/api/v1/appeals/"
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def _new(org, **extra) -> Appeal:
    data = {
        "channel": Channel.HOTLINE,
        "subject": "路灯不亮",
        "detail": "小区门口路灯坏了一周",
        "appellant_name": "张三",
        "appellant_phone": PHONE,
        "grid": org.grid1,
        **extra,
    }
    return actions.register_appeal(actor=org.dispatcher, **data)


def _dispatched(org, **extra) -> Appeal:
    a = _new(org, **extra)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    return a


def _snapshot(appeal_id: int) -> tuple:
    a = Appeal.objects.get(pk=appeal_id)
    return a.status, a.lead_unit_id, a.updated_at, AppealEvent.objects.filter(appeal=a).count()


# --- authentication ---------------------------------------------------------------------------


def test_unauthenticated_is_401_everywhere(org):
    a = _new(org)
    anon = APIClient()
    for method, url in [
        ("get", API),
        ("get", f"{API}{a.pk}/"),
        ("get", f"{API}{a.pk}/timeline/"),
        ("post", f"{API}{a.pk}/claim/"),
        ("post", API),
        ("get", "/api/v1/units/"),
        ("get", "/api/v1/notifications/"),
    ]:
        r = getattr(anon, method)(url)
        assert r.status_code == 401, url
        assert error_code(r) == "not_authenticated"
        assert r["WWW-Authenticate"].startswith("Token")


def test_token_auth_round_trip(org):
    anon = APIClient()
    r = anon.post(
        "/api/v1/auth/token/", {"username": "dispatcher", "password": PASSWORD}, format="json"
    )
    assert r.status_code == 200
    token = r.json()["token"]
    assert r.json()["user"]["username"] == "dispatcher"
    assert "dispatcher" in r.json()["user"]["roles"]
    # The same token again (one per user).
    r2 = anon.post("/api/v1/auth/token/", {"username": "dispatcher", "password": PASSWORD})
    assert r2.json()["token"] == token

    _new(org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = client.get(API)
    assert r.status_code == 200 and r.json()["count"] == 1
    assert client.get("/api/v1/me/").json()["username"] == "dispatcher"

    # Revoked: the token no longer works.
    assert client.delete("/api/v1/auth/token/").status_code == 204
    r = client.get(API)
    assert r.status_code == 401 and error_code(r) == "authentication_failed"


def test_token_wrong_password_and_inactive_user(org):
    anon = APIClient()
    r = anon.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "nope-nope"})
    assert r.status_code == 400 and error_code(r) == "invalid_credentials"
    r = anon.post("/api/v1/auth/token/", {"username": "dispatcher"})
    assert r.status_code == 400 and "password" in r.json()["error"]["details"]
    User.objects.filter(pk=org.s1_handler.pk).update(is_active=False)
    r = anon.post("/api/v1/auth/token/", {"username": "s1h", "password": PASSWORD})
    assert r.status_code == 400 and error_code(r) == "invalid_credentials"


def test_token_endpoint_is_throttled(org, monkeypatch):
    from minhu.orgs.api.permissions import LoginRateThrottle

    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    anon = APIClient()
    codes = [
        anon.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    r = anon.post("/api/v1/auth/token/", {"username": "dispatcher", "password": PASSWORD})
    assert r.status_code == 429 and error_code(r) == "throttled"


def test_throttle_ignores_a_forwarded_for_header_without_trusted_proxies(org, monkeypatch):
    from minhu.orgs.api.permissions import LoginRateThrottle

    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    anon = APIClient()
    codes = [
        anon.post(
            "/api/v1/auth/token/",
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",  # a new made-up address every time
        ).status_code
        for i in range(4)
    ]
    assert codes == [400, 400, 400, 429]


def test_throttle_keys_on_the_address_a_trusted_proxy_appended(org, monkeypatch, settings):
    from minhu.orgs.api.permissions import LoginRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    anon = APIClient()

    def post(xff: str) -> int:
        return anon.post(
            "/api/v1/auth/token/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR=xff
        ).status_code

    # The client may prepend anything; the proxy's appended address (last) is what counts.
    assert [post(f"1.1.1.{i}, 198.51.100.7") for i in range(3)] == [400, 400, 429]
    assert post("198.51.100.8") == 400  # another client behind the same proxy


def test_user_without_any_role_is_403(org):
    nobody = User.objects.create_user(username="nobody", password=PASSWORD)
    r = client_for(nobody).get(API)
    assert r.status_code == 403 and error_code(r) == "permission_denied"


# --- scope, roles, transitions -----------------------------------------------------------------


def test_outside_scope_is_404_not_found(org):
    a = _dispatched(org)
    west = client_for(org.s2_handler)
    for method, url, body in [
        ("get", f"{API}{a.pk}/", None),
        ("get", f"{API}{a.pk}/timeline/", None),
        ("post", f"{API}{a.pk}/claim/", {}),
        ("post", f"{API}{a.pk}/contact/", {"note": "已联系"}),
        ("post", f"{API}{a.pk}/return/", {"reason": "不是我们的事"}),
    ]:
        before = _snapshot(a.pk)
        r = getattr(west, method)(url, body, format="json")
        assert r.status_code == 404, url
        assert error_code(r) == "not_found"
        assert _snapshot(a.pk) == before
    assert west.get(API).json()["count"] == 0
    # Missing ids look the same.
    r = client_for(org.dispatcher).get(f"{API}999999/")
    assert r.status_code == 404 and error_code(r) == "not_found"
    r = client_for(org.dispatcher).get(f"{API}abc/")
    assert r.status_code == 404 and error_code(r) == "not_found"


def test_wrong_role_is_403(org):
    a = _new(org)
    before = _snapshot(a.pk)
    r = client_for(org.s1_handler).post(
        f"{API}{a.pk}/dispatch/", {"lead_unit": org.street1.pk}, format="json"
    )
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    assert _snapshot(a.pk) == before
    # A callback operator may not register appeals.
    r = client_for(org.callback).post(
        API,
        {
            "channel": "hotline",
            "subject": "噪音扰民",
            "detail": "楼下烧烤店深夜噪音",
            "appellant_kind": "anonymous",
        },
        format="json",
    )
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    # An assisting department may not resolve.
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    actions.claim(a, actor=org.s1_handler)
    actions.claim(a, actor=org.d1_handler)
    r = client_for(org.d1_handler).post(
        f"{API}{a.pk}/resolve/", {"outcome_kind": "on_spot", "outcome": "已经修好了"}
    )
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    assert Appeal.objects.get(pk=a.pk).status == Status.IN_PROGRESS


def test_illegal_transition_is_409_and_changes_nothing(org):
    a = _new(org)
    desk = client_for(org.dispatcher)
    for url, body in [
        (f"{API}{a.pk}/close/", {}),
        (f"{API}{a.pk}/reply/", {"text": "您好，已经处理完毕，谢谢。"}),
        (
            f"{API}{a.pk}/follow-up/",
            {"contacted": True, "solved": True, "satisfaction": "satisfied"},
        ),
    ]:
        before = _snapshot(a.pk)
        r = desk.post(url, body, format="json")
        assert r.status_code == 409, (url, r.content)
        assert error_code(r) == "illegal_transition"
        assert r.json()["error"]["message"]
        assert _snapshot(a.pk) == before
    # Claiming something nobody dispatched.
    before = _snapshot(a.pk)
    r = client_for(org.s1_handler).post(f"{API}{a.pk}/claim/", {})
    assert r.status_code == 409 and error_code(r) == "illegal_transition"
    assert _snapshot(a.pk) == before


def test_claim_twice_is_409_already_claimed(org):
    a = _dispatched(org)
    assert client_for(org.s1_handler).post(f"{API}{a.pk}/claim/").status_code == 200
    r = client_for(org.s1_handler2).post(f"{API}{a.pk}/claim/")
    assert r.status_code == 409 and error_code(r) == "already_claimed"


# --- input validation -------------------------------------------------------------------------


def test_invalid_input_is_400_with_a_code(org):
    desk = client_for(org.dispatcher)
    a = _new(org)
    # Shape errors (serializer): code "invalid", details per field.
    r = desk.post(f"{API}{a.pk}/dispatch/", {}, format="json")
    assert r.status_code == 400 and error_code(r) == "invalid"
    assert "lead_unit" in r.json()["error"]["details"]
    r = desk.post(f"{API}{a.pk}/dispatch/", {"lead_unit": 999999}, format="json")
    assert r.status_code == 400 and "lead_unit" in r.json()["error"]["details"]
    # Domain errors (the verb): their own code and the field.
    r = desk.post(f"{API}{a.pk}/dispatch/", {"lead_unit": org.centre.pk}, format="json")
    assert r.status_code == 400 and error_code(r) == "invalid_unit"
    r = desk.post(
        API,
        {
            "channel": "hotline",
            "subject": "路灯",
            "detail": "路灯坏了很久了",
            "appellant_phone": "123",
        },
        format="json",
    )
    assert r.status_code == 400 and error_code(r) == "invalid_phone"
    assert r.json()["error"]["details"]["field"] == "appellant_phone"
    r = desk.post(API, {"channel": "fax", "subject": "路灯", "detail": "路灯坏了"}, format="json")
    assert r.status_code == 400 and "channel" in r.json()["error"]["details"]
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    s1h = client_for(org.s1_handler)
    s1h.post(f"{API}{a.pk}/claim/")
    r = s1h.post(f"{API}{a.pk}/return/", {"reason": "不"}, format="json")
    assert r.status_code == 400 and error_code(r) == "required"
    r = s1h.post(f"{API}{a.pk}/extension/", {"days": 99, "reason": "需要很久"}, format="json")
    assert r.status_code == 400 and error_code(r) == "invalid_days"
    r = s1h.post(f"{API}{a.pk}/extension/", {"days": "many", "reason": "需要很久"}, format="json")
    assert r.status_code == 400 and "days" in r.json()["error"]["details"]
    r = s1h.post(f"{API}{a.pk}/attachments/", {"files": [_text_file()]})
    assert r.status_code == 400 and error_code(r) == "invalid_file_type"
    r = s1h.post(f"{API}{a.pk}/contact/", {"note": ""}, format="json")
    assert r.status_code == 400 and error_code(r) == "required"
    assert r.json()["error"]["details"]["field"] == "note"
    assert Appeal.objects.get(pk=a.pk).status == Status.IN_PROGRESS


def _text_file():
    from minhu.appeals.tests.factories import not_an_image

    return not_an_image()


def test_extension_of_another_appeal_is_404(org):
    a, b = _dispatched(org), _dispatched(org)
    for x in (a, b):
        actions.claim(x, actor=org.s1_handler)
    ext = actions.request_extension(b, actor=org.s1_handler, days=2, reason="需要采购灯具")
    r = client_for(org.dispatcher).post(
        f"{API}{a.pk}/extensions/{ext.pk}/decide/", {"approve": True}, format="json"
    )
    assert r.status_code == 404 and error_code(r) == "not_found"
    ext.refresh_from_db()
    assert ext.status == "pending"


# --- other verbs ------------------------------------------------------------------------------


def test_merge_by_id_and_by_code(org):
    desk = client_for(org.dispatcher)
    main, dup1, dup2 = _new(org), _new(org), _new(org)
    r = desk.post(f"{API}{dup1.pk}/merge/", {"parent": main.pk, "note": "同一路灯"})
    assert r.status_code == 200 and r.json()["status"] == "merged"
    assert r.json()["parent"] == main.code
    r = desk.post(f"{API}{dup2.pk}/merge/", {"parent_code": main.code.lower()}, format="json")
    assert r.status_code == 200 and r.json()["parent"] == main.code
    assert sorted(desk.get(f"{API}{main.pk}/").json()["merged_children"]) == sorted(
        [dup1.code, dup2.code]
    )
    r = desk.post(f"{API}{main.pk}/merge/", {}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["error"]["details"]
    r = desk.post(f"{API}{main.pk}/merge/", {"parent_code": "NOSUCHCODE"}, format="json")
    assert r.status_code == 404
    r = desk.post(f"{API}{main.pk}/merge/", {"parent": main.pk}, format="json")
    assert r.status_code == 400 and error_code(r) == "merge_self"


def test_reopen_by_the_centre(org):
    a = _dispatched(org)
    actions.claim(a, actor=org.s1_handler)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    desk = client_for(org.dispatcher)
    r = desk.post(f"{API}{a.pk}/reopen/", {"reason": "现场核查仍未修好"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "in_progress" and r.json()["reopen_count"] == 1
    assert r.json()["due_state"] in ("on_time", "due_soon", "overdue")
    kinds = [e["kind"] for e in desk.get(f"{API}{a.pk}/timeline/").json()]
    assert kinds[-1] == "reopen"


def test_classify_and_edit_details(org):
    desk = client_for(org.dispatcher)
    a = _new(org)
    r = desk.post(
        f"{API}{a.pk}/classify/",
        {"category": org.category.pk, "urgency": "critical", "address": "东一社区北门"},
        format="json",
    )
    assert r.status_code == 200
    assert (r.json()["urgency"], r.json()["address"]) == ("critical", "东一社区北门")
    r = desk.patch(
        f"{API}{a.pk}/", {"subject": "北门路灯不亮", "note": "标题更准确"}, format="json"
    )
    assert r.status_code == 200 and r.json()["subject"] == "北门路灯不亮"
    assert r.json()["detail"] == "小区门口路灯坏了一周"
    r = client_for(org.s1_handler).patch(f"{API}{a.pk}/", {"subject": "改标题"}, format="json")
    assert r.status_code == 403
    assert client_for(org.dispatcher).put(f"{API}{a.pk}/", {}).status_code == 405


def test_staff_register_with_photos_multipart(org):
    from minhu.appeals.tests.factories import png

    r = client_for(org.grid1_worker).post(
        API,
        {
            "channel": "visit",
            "subject": "楼道堆物",
            "detail": "3号楼楼道堆放杂物，存在消防隐患",
            "appellant_kind": "anonymous",
            "grid": org.grid1.pk,
            "attachments": [png("a.png"), png("b.png", "blue")],
        },
        format="multipart",
        HTTP_PREFER="return=representation",
    )
    assert r.status_code == 201, r.content
    assert r["Preference-Applied"] == "return=representation"
    body = r.json()
    assert body["channel"] == "visit" and len(body["attachments"]) == 2
    assert body["registered_by"] == "网格员甲"
    assert {x["content_type"] for x in body["attachments"]} == {"image/png"}


def test_phone_masking(org):
    a = _dispatched(org)
    url = f"{API}{a.pk}/"
    assert client_for(org.dispatcher).get(url).json()["appellant_phone"] == PHONE
    assert client_for(org.s1_handler).get(url).json()["appellant_phone"] == PHONE  # lead unit
    masked = client_for(org.d1_handler).get(url).json()["appellant_phone"]  # assisting
    assert masked == "138****5678"
    listed = client_for(org.d1_handler).get(API).json()["results"][0]["appellant_phone"]
    assert listed == "138****5678"


# --- schema -----------------------------------------------------------------------------------


def test_openapi_schema_is_served_and_valid(org):
    r = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    validate_schema(schema)
    paths = schema["paths"]
    for p in [
        "/api/v1/appeals/",
        "/api/v1/appeals/{id}/timeline/",
        "/api/v1/appeals/{id}/return/",
        "/api/v1/appeals/{id}/extensions/{ext_id}/decide/",
        "/api/v1/appeals/{id}/follow-up/",
        "/api/v1/public/appeals/{code}/rate/",
        "/api/v1/auth/token/",
        "/api/v1/notifications/read-all/",
        "/api/v1/units/tree/",
        "/api/v1/categories/",
        "/api/v1/time-limits/",
        "/api/v1/calendar-overrides/",
        "/api/v1/collection-points/",
    ]:
        assert p in paths, p
    resolve = paths["/api/v1/appeals/{id}/resolve/"]["post"]
    assert "multipart/form-data" in resolve["requestBody"]["content"]
    assert "409" in resolve["responses"]
    assert client_for(None).get("/api/docs/").status_code == 200


def test_openapi_schema_generates_without_warnings(tmp_path):
    """Every endpoint of every app is described without a warning (e.g. operationId clashes)."""
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/appeals/" in out.read_text()


def test_staff_register_answers_a_small_receipt_described_by_the_schema(org):
    import jsonschema
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = {
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区门口的路灯坏了一周",
        "appellant_phone": PHONE,
        "grid": org.grid1.pk,
    }
    desk = client_for(org.dispatcher)
    desk.post(API, body, format="json")  # warm caches (scope, content types)
    with CaptureQueriesContext(connection) as receipt_queries:
        r = desk.post(API, body, format="json")
    assert r.status_code == 201, r.content
    receipt = r.json()
    appeal = Appeal.objects.get(pk=receipt["id"])
    assert set(receipt) == {"id", "code", "status", "status_label", "created_at", "url"}
    assert receipt["code"] == appeal.code and receipt["status"] == "new"
    assert r["Location"] == receipt["url"] == f"http://testserver{API}{appeal.pk}/"
    assert desk.get(r["Location"]).json()["street"]["id"] == org.street1.pk
    with CaptureQueriesContext(connection) as full_queries:
        full = desk.post(API, body, format="json", HTTP_PREFER="return=representation")
    assert full.status_code == 201 and full.json()["street"]["id"] == org.street1.pk
    # The receipt reads nothing back: every statement of the full answer's re-read is saved.
    assert len(receipt_queries) + 7 <= len(full_queries)
    assert not [q for q in receipt_queries.captured_queries if "appeals_followup" in q["sql"]]

    schema = yaml.safe_load(
        client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi").content
    )
    create = schema["paths"][API]["post"]
    assert "Prefer" in [p["name"] for p in create["parameters"]]
    answer = create["responses"]["201"]["content"]["application/json"]["schema"]
    one_of = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]["oneOf"]
    assert [x["$ref"].rsplit("/", 1)[1] for x in one_of] == ["AppealReceipt", "AppealDetail"]
    receipt_schema = schema["components"]["schemas"]["AppealReceipt"]
    jsonschema.validate(
        receipt,
        {**receipt_schema, "components": schema["components"]},
        cls=jsonschema.Draft7Validator,
    )
    assert set(receipt_schema["required"]) == set(receipt)
    assert set(schema["components"]["schemas"]["AppealDetail"]["required"]) <= set(full.json())
