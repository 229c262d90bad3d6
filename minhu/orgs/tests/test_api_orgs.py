"""Units, users, memberships and the current user through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from minhu.appeals import actions
from minhu.appeals.tests.factories import client_for, error_code
from minhu.orgs.models import Membership, Role, Unit, User

UNITS = "/api/v1/units/"


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {r["name"] for r in rows}


def test_me(org):
    body = client_for(org.s1_leader).get("/api/v1/me/").json()
    assert body["name"] == "东街道主任" and body["roles"] == ["unit_leader"]
    assert body["all_units"] is False
    assert body["memberships"][0]["unit"]["id"] == org.street1.pk
    assert client_for(org.dispatcher).get("/api/v1/me/").json()["all_units"] is True


def test_units_read_by_any_staff_with_filters(org):
    c = client_for(org.grid1_worker)
    assert _names(c.get(UNITS, {"kind": "street"})) == {"东街道", "西街道"}
    assert _names(c.get(UNITS, {"kind": "street,department"})) == {
        "东街道",
        "西街道",
        "区城管局",
        "区住建局",
        "区教育局",
    }
    assert _names(c.get(UNITS, {"parent": org.street1.pk})) == {"东一社区"}
    assert _names(c.get(UNITS, {"under": org.street1.pk})) == {
        "东街道",
        "东一社区",
        "东一社区第1网格",
    }
    assert _names(c.get(UNITS, {"q": "东一"})) == {"东一社区", "东一社区第1网格"}
    row = next(
        r for r in c.get(UNITS, {"kind": "street"}).json()["results"] if r["name"] == "东街道"
    )
    assert row["child_count"] == 1 and row["kind_label"] == "街道"
    dept = c.get(f"{UNITS}{org.dept1.pk}/").json()
    assert dept["paired_communities"] == [org.community1.pk]
    assert c.get(UNITS, {"kind": "planet"}).status_code == 400


def test_unit_tree(org):
    tree = client_for(org.s1_handler).get(f"{UNITS}tree/").json()
    assert [n["name"] for n in tree] == ["测试区"]
    streets = {n["name"]: n for n in tree[0]["children"] if n["kind"] == "street"}
    community = streets["东街道"]["children"][0]
    assert community["name"] == "东一社区"
    assert community["children"][0]["name"] == "东一社区第1网格"
    sub = client_for(org.s1_handler).get(f"{UNITS}tree/", {"root": org.street2.pk}).json()
    assert [n["name"] for n in sub] == ["西街道"] and sub[0]["children"][0]["name"] == "西一社区"
    assert client_for(org.s1_handler).get(f"{UNITS}tree/", {"root": 99999}).status_code == 404


def test_unit_writes_are_admin_only_and_validated(org):
    body = {"name": "南街道", "code": "s3", "kind": "street", "parent": org.district.pk}
    r = client_for(org.dispatcher).post(UNITS, body, format="json")
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    admin = client_for(org.admin)
    r = admin.post(UNITS, body, format="json")
    assert r.status_code == 201, r.content
    s3 = Unit.objects.get(code="s3")
    assert s3.path == f"{org.district.path}{s3.pk}/"
    # A grid directly under a street is not allowed.
    r = admin.post(
        UNITS, {"name": "网格", "code": "bad", "kind": "grid", "parent": s3.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json()["error"]["details"]
    # Duplicate code.
    r = admin.post(UNITS, body, format="json")
    assert r.status_code == 400 and "code" in r.json()["error"]["details"]
    # Moving the district under its own street.
    r = admin.patch(f"{UNITS}{org.district.pk}/", {"parent": org.street1.pk}, format="json")
    assert r.status_code == 400
    # Only departments pair with communities.
    r = admin.patch(
        f"{UNITS}{org.street1.pk}/", {"paired_communities": [org.community2.pk]}, format="json"
    )
    assert r.status_code == 400 and "paired_communities" in r.json()["error"]["details"]
    r = admin.patch(
        f"{UNITS}{org.dept2.pk}/", {"paired_communities": [org.community2.pk]}, format="json"
    )
    assert r.status_code == 200 and r.json()["paired_communities"] == [org.community2.pk]
    # Renaming and deactivating.
    r = admin.patch(f"{UNITS}{s3.pk}/", {"name": "南湖街道", "active": False}, format="json")
    assert r.status_code == 200 and r.json()["name"] == "南湖街道" and not r.json()["active"]
    # An unused unit can be deleted; a used one cannot.
    assert admin.delete(f"{UNITS}{s3.pk}/").status_code == 204
    r = admin.delete(f"{UNITS}{org.street1.pk}/")
    assert r.status_code == 409 and error_code(r) == "protected"
    assert Unit.objects.filter(pk=org.street1.pk).exists()


def test_moving_a_unit_moves_its_subtree(org):
    admin = client_for(org.admin)
    r = admin.patch(f"{UNITS}{org.community1.pk}/", {"parent": org.street2.pk}, format="json")
    assert r.status_code == 200
    org.grid1.refresh_from_db()
    assert org.grid1.path.startswith(org.street2.path)
    assert _names(admin.get(UNITS, {"under": org.street2.pk})) >= {"东一社区第1网格"}


def test_users_admin_only(org):
    r = client_for(org.dispatcher).get("/api/v1/users/")
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    admin = client_for(org.admin)
    listed = admin.get("/api/v1/users/", {"unit": org.street1.pk}).json()["results"]
    assert {u["username"] for u in listed} == {"s1h", "s1h2", "s1l"}
    assert {
        u["username"] for u in admin.get("/api/v1/users/", {"role": "callback"}).json()["results"]
    } == {"callback"}
    assert all("password" not in u for u in listed)


def test_create_user_membership_and_log_in(org):
    admin = client_for(org.admin)
    r = admin.post("/api/v1/users/", {"username": "newbie", "display_name": "新人"}, format="json")
    assert r.status_code == 400 and "password" in r.json()["error"]["details"]
    r = admin.post("/api/v1/users/", {"username": "newbie", "password": "short"}, format="json")
    assert r.status_code == 400 and "password" in r.json()["error"]["details"]
    r = admin.post(
        "/api/v1/users/",
        {"username": "newbie", "display_name": "新人", "password": "a-long-pass-2024"},
        format="json",
    )
    assert r.status_code == 201, r.content
    user_id = r.json()["id"]
    r = admin.post(
        "/api/v1/memberships/",
        {"user": user_id, "unit": org.street2.pk, "role": "handler"},
        format="json",
    )
    assert r.status_code == 201, r.content
    r = admin.post(
        "/api/v1/memberships/",
        {"user": user_id, "unit": org.street2.pk, "role": "handler"},
        format="json",
    )
    assert r.status_code == 400  # already holds it
    r = admin.post(
        "/api/v1/memberships/", {"user": user_id, "unit": org.street2.pk, "role": "king"}
    )
    assert r.status_code == 400 and "role" in r.json()["error"]["details"]
    assert (
        client_for(org.dispatcher)
        .post("/api/v1/memberships/", {"user": user_id, "unit": org.street1.pk, "role": "handler"})
        .status_code
        == 403
    )

    anon = APIClient()
    r = anon.post("/api/v1/auth/token/", {"username": "newbie", "password": "a-long-pass-2024"})
    assert r.status_code == 200 and r.json()["user"]["roles"] == ["handler"]
    token = r.json()["token"]
    worker = APIClient()
    worker.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert worker.get("/api/v1/appeals/").status_code == 200

    # Deactivated: the token stops working; password change works.
    r = admin.patch(f"/api/v1/users/{user_id}/", {"is_active": False}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert worker.get("/api/v1/appeals/").status_code == 401
    admin.patch(
        f"/api/v1/users/{user_id}/",
        {"is_active": True, "password": "another-pass-99"},
        format="json",
    )
    assert User.objects.get(pk=user_id).check_password("another-pass-99")
    assert admin.delete(f"/api/v1/users/{user_id}/").status_code == 405


def test_membership_filters_and_delete(org):
    admin = client_for(org.admin)
    rows = admin.get("/api/v1/memberships/", {"unit": org.centre.pk}).json()["results"]
    assert {r["user_name"] for r in rows} == {"调度员甲", "回访员"}
    rows = admin.get("/api/v1/memberships/", {"role": Role.GRID_WORKER}).json()["results"]
    assert [r["unit_detail"]["id"] for r in rows] == [org.grid1.pk]
    m = Membership.objects.get(user=org.s2_handler)
    assert admin.delete(f"/api/v1/memberships/{m.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=m.pk).exists()


@pytest.mark.parametrize("username", ["s1h", "g1w", "dleader", "callback"])
def test_non_admins_cannot_write_configuration(org, username):
    user = User.objects.get(username=username)
    c = client_for(user)
    r = c.patch(f"{UNITS}{org.street1.pk}/", {"name": "改名"}, format="json")
    assert r.status_code == 403
    assert c.get(UNITS).status_code == 200


def test_unit_in_use_by_an_appeal_cannot_be_deleted(org):
    a = actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="路灯不亮",
        detail="小区门口路灯坏了",
        appellant_kind="anonymous",
        grid=org.grid2,
    )
    assert a.grid_id == org.grid2.pk
    r = client_for(org.admin).delete(f"{UNITS}{org.grid2.pk}/")
    assert r.status_code == 409 and error_code(r) == "protected"
