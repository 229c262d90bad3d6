"""Open311 keys through /api/v1/open311-keys/: the admin role issues (key shown once), lists,
searches, edits and revokes, every change audited; everyone else is refused; a revoked key no
longer works against /open311/."""

from __future__ import annotations

import pytest

from minhu.appeals.tests.factories import client_for, error_code
from minhu.core.models import ConfigChange
from minhu.open311.models import ApiKey

pytestmark = pytest.mark.django_db
API = "/api/v1/open311-keys/"


def test_admin_issues_lists_edits_and_revokes_a_key(org, client):
    admin = client_for(org.admin)
    r = admin.post(API, {"name": "FixMyStreet 东湖", "contact": "ops@example.org"}, format="json")
    assert r.status_code == 201, r.content
    issued = r.json()
    secret = issued["key"]
    assert len(secret) >= 24 and issued["prefix"] == secret[:8]
    assert issued["rate_limit"] == 600 and issued["active"] is True and issued["uses"] == 0
    row = ApiKey.objects.get(pk=issued["id"])
    assert secret not in (row.digest, row.prefix)  # only a hash is kept
    # the key works against the GeoReport server, and its use is counted
    assert client.get("/open311/v2/services.json", {"api_key": secret}).status_code == 200
    listed = admin.get(API).json()
    [one] = [k for k in listed["results"] if k["id"] == issued["id"]]
    assert "key" not in one and one["uses"] == 1 and one["last_used_at"]
    assert admin.get(API, {"q": "东湖"}).json()["count"] == 1
    assert admin.get(API, {"q": "nothing"}).json()["count"] == 0
    uses = admin.get("/api/v1/open311-key-uses/", {"key": issued["id"]}).json()
    assert uses["count"] == 1 and uses["results"][0]["path"] == "/open311/v2/services.json"
    r = admin.patch(f"{API}{issued['id']}/", {"rate_limit": 30}, format="json")
    assert r.status_code == 200 and r.json()["rate_limit"] == 30
    r = admin.patch(f"{API}{issued['id']}/", {"rate_limit": 0}, format="json")
    assert r.status_code == 400 and error_code(r) in ("invalid", "min_value")
    r = admin.post(f"{API}{issued['id']}/revoke/", {}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["revoked_at"]
    bad = client.get("/open311/v2/services.json", {"api_key": secret})
    assert bad.status_code == 403
    assert admin.get(API, {"active": "false"}).json()["count"] == 1
    actions = list(
        ConfigChange.objects.filter(model="open311.apikey", object_id=issued["id"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "deactivate"], actions


def test_only_admins_see_or_touch_keys(org):
    r = client_for(org.admin).post(API, {"name": "客户端"}, format="json")
    key_id = r.json()["id"]
    for user in (org.dispatcher, org.s1_handler, org.district_leader):
        c = client_for(user)
        assert c.get(API).status_code == 403
        assert c.get(f"{API}{key_id}/").status_code == 403
        assert c.post(API, {"name": "x"}, format="json").status_code == 403
        assert c.post(f"{API}{key_id}/revoke/", {}, format="json").status_code == 403
        assert c.get("/api/v1/open311-key-uses/").status_code == 403
    assert client_for(None).get(API).status_code in (401, 403)
    assert ApiKey.objects.get(pk=key_id).active
    assert client_for(org.admin).get(f"{API}999999/").status_code == 404


def test_bad_input_is_refused_with_a_code(org):
    admin = client_for(org.admin)
    r = admin.post(API, {"name": ""}, format="json")
    assert r.status_code == 400
    r = admin.post(API, {"name": "x" * 101}, format="json")
    assert r.status_code == 400
    r = admin.post(API, {"name": "ok", "rate_limit": -1}, format="json")
    assert r.status_code == 400
    assert ApiKey.objects.count() == 0
