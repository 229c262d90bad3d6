"""Malformed requests that used to be server errors or HTML pages: each is a 400 or a JSON 404
with a stable code now (one test per cause; the schema fuzzing in test_schema_fuzz.py looks for
more)."""

import json

import pytest

from minhu.appeals.tests import factories
from minhu.appeals.tests.factories import client_for, error_code

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**63)  # one past the largest 64-bit id


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/appeals/?grid={TOO_BIG}",
        f"/api/v1/appeals/?street={TOO_BIG}",
        f"/api/v1/appeals/?lead_unit={TOO_BIG}",
        f"/api/v1/appeals/?category={TOO_BIG}",
        f"/api/v1/appeals/?unit={TOO_BIG}",
        f"/api/v1/units/?parent={TOO_BIG}",
        f"/api/v1/units/?under={TOO_BIG}",
        f"/api/v1/categories/?parent={TOO_BIG}",
        f"/api/v1/users/?unit={TOO_BIG}",
        f"/api/v1/memberships/?user={TOO_BIG}",
        f"/api/v1/collection-points/?unit={TOO_BIG}",
        f"/api/v1/time-limits/?category={TOO_BIG}",
        "/api/v1/appeals/?grid=-1",
        "/api/v1/calendar-overrides/?year=0",
        "/api/v1/calendar-overrides/?year=10000",
        "/api/v1/appeals/?created_before=9999-12-31",
        "/api/v1/appeals/?created_after=0001-01-01",
        "/api/v1/config-changes/?date_before=9999-12-31",
        "/api/v1/calendar-overrides/?date_after=0001-01-01",
    ],
)
def test_out_of_range_integer_filters_are_400(org, url):
    factories.register(org)
    r = client_for(org.admin).get(url)
    assert r.status_code == 400, r.content
    assert error_code(r) == "invalid"
    assert list(r.json()["error"]["details"]) == [url.split("?")[1].split("=")[0]]


def test_integer_filters_in_range_still_filter(org):
    a = factories.register(org)
    ok = client_for(org.admin).get(f"/api/v1/appeals/?grid={org.grid1.pk}")
    assert [row["id"] for row in ok.json()["results"]] == [a.pk]
    assert client_for(org.admin).get(f"/api/v1/appeals/?grid={2**63 - 1}").json()["count"] == 0
    r = client_for(org.admin).get("/api/v1/calendar-overrides/?year=2026")
    assert r.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/appeals/{TOO_BIG}/",
        "/api/v1/appeals/99999999999999999999999/",
        "/api/v1/appeals/abc/",
        f"/api/v1/appeals/1/attachments/{TOO_BIG}/file/",
        f"/api/v1/units/{TOO_BIG}/",
        f"/api/v1/evaluation/snapshots/{TOO_BIG}/",
        "/api/v1/evaluation/snapshots/x/",
        f"/api/v1/routing/appeals/{TOO_BIG}/proposal/",
        "/api/v1/no-such-endpoint/",
    ],
)
def test_malformed_ids_in_paths_are_json_404(org, path):
    r = client_for(org.admin).get(path)
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json"
    assert error_code(r) == "not_found"


def test_pages_outside_the_api_keep_the_html_404(org, client):
    client.force_login(org.admin)
    r = client.get(f"/appeals/{TOO_BIG}/")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")


def test_path_ids_in_range_still_resolve(org):
    a = factories.register(org)
    assert client_for(org.admin).get(f"/api/v1/appeals/{a.pk}/").status_code == 200
    assert client_for(org.admin).get(f"/api/v1/appeals/{2**63 - 1}/").status_code == 404


EVALUATION_WRITES = [
    "/api/v1/evaluation/rankings/publish/",
    "/api/v1/evaluation/reviews/",
    "/api/v1/evaluation/nominations/",
    "/api/v1/evaluation/nominations/propose/",
    "/api/v1/evaluation/nominations/1/decide/",
    "/api/v1/evaluation/supervisions/",
    "/api/v1/evaluation/supervisions/1/close/",
]


@pytest.mark.parametrize("body", ["[null, null]", '"x"', "5", "null", "[]"])
@pytest.mark.parametrize("url", EVALUATION_WRITES)
def test_json_bodies_that_are_not_objects_are_400(org, url, body):
    r = client_for(org.admin).post(url, body, content_type="application/json")
    assert r.status_code == 400, r.content
    assert error_code(r) == "parse_error"


def test_non_object_bodies_are_refused_on_appeal_verbs_too(org):
    a = factories.register(org)
    r = client_for(org.dispatcher).post(
        f"/api/v1/appeals/{a.pk}/classify/", json.dumps([1, 2]), content_type="application/json"
    )
    assert r.status_code == 400 and error_code(r) == "parse_error"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/evaluation/reviews/", {"indicators": 5}, "indicators"),
        ("/api/v1/evaluation/reviews/", {"department": TOO_BIG}, "department"),
        ("/api/v1/evaluation/rankings/publish/", {"groups": ["nope"]}, "groups"),
        ("/api/v1/evaluation/nominations/1/decide/", {"approve": "x"}, "approve"),
        ("/api/v1/evaluation/supervisions/", {"appeal": "abc"}, "appeal"),
        ("/api/v1/evaluation/supervisions/", {"unit": TOO_BIG}, "unit"),
        ("/api/v1/evaluation/supervisions/", {"due_at": "0001-01-01T00:00"}, "due_at"),
        ("/api/v1/evaluation/supervisions/1/close/", {"cancel": [1]}, "cancel"),
        ("/api/v1/evaluation/nominations/", {"period": 5}, "period"),
    ],
)
def test_evaluation_bodies_of_the_wrong_type_are_400(org, url, body, field):
    r = client_for(org.admin).post(url, body, format="json")
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] in ("invalid", "invalid_period")
    assert field in err["details"].values() or field in err["details"], err


@pytest.mark.parametrize(
    "query", ["start=2024-13-45", f"unit={TOO_BIG}", "end=0001-01-01", "handler=abc"]
)
def test_ledger_query_of_the_wrong_type_is_400(org, query):
    r = client_for(org.admin).get(f"/api/v1/evaluation/ledgers/unit/?{query}")
    assert r.status_code == 400, r.content
    assert error_code(r) == "invalid"
    assert list(r.json()["error"]["details"]) == [query.split("=")[0]]


def test_an_evaluation_unit_past_2_63_is_not_found(org):
    r = client_for(org.admin).get(f"/api/v1/evaluation/rates/?unit={TOO_BIG}")
    assert r.status_code == 404 and error_code(r) == "not_found"
