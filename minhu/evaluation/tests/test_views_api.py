import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minhu.evaluation import actions
from minhu.evaluation.periods import Period

from .helpers import TEN, at, follow_up

pytestmark = pytest.mark.django_db
MARCH = Period("2025-03")


def seed(org):
    t = at(2025, 3, 10, 10, 0)
    for contacted, solved, sat in TEN:
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=t)
    follow_up(org, org.street2, when=t, grid=org.grid2)
    follow_up(org, org.dept1, when=t)


def test_pages_render_for_a_district_leader(client, org):
    seed(org)
    client.force_login(org.district_leader)
    for url in [
        "/evaluation/?period=2025-03",
        "/evaluation/rankings/?period=2025-03",
        "/evaluation/rates/?period=2025-03&metric=solved",
        f"/evaluation/rates/?period=2025-03&unit={org.street1.pk}&metric=unsatisfied",
        "/evaluation/appeals/?period=2025-03&dim=channel&key=h5",
        "/evaluation/evaluations/",
        "/evaluation/interviews/",
        "/evaluation/redblack/?period=2025-03",
        "/evaluation/supervision/",
        "/evaluation/ledgers/",
        "/evaluation/config/",
    ]:
        r = client.get(url)
        assert r.status_code == 200, url
    assert client.get("/evaluation/import/").status_code == 404  # the centre imports
    client.force_login(org.dispatcher)
    assert client.get("/evaluation/import/").status_code == 200
    client.force_login(org.district_leader)
    r = client.get("/evaluation/rankings/?period=2025-03")
    body = r.content.decode()
    assert "73.80" in body and "东街道" in body
    assert f"/evaluation/rates/?period=2025-03&unit={org.street1.pk}&metric=solved" in body
    r = client.get(f"/evaluation/rates/?period=2025-03&unit={org.street1.pk}&metric=unsatisfied")
    assert r.context["page"].paginator.count == 2
    r = client.get("/evaluation/appeals/?period=2025-03&dim=channel&key=h5")
    assert r.context["page"].paginator.count == 12


def test_publish_from_the_web_then_snapshot_page(client, org):
    seed(org)
    client.force_login(org.district_leader)
    r = client.post("/evaluation/rankings/publish/", {"period": "2025-03"})
    assert r.status_code == 302
    from minhu.evaluation.models import RankingSnapshot

    snap = RankingSnapshot.objects.get(period="2025-03", group="street")
    r = client.get(f"/evaluation/snapshots/{snap.pk}/".replace("/snapshots", "/rankings/snapshots"))
    assert r.status_code == 200 and "重新计算结果与冻结快照一致" in r.content.decode()


def test_street_staff_see_only_their_own_figures(client, org):
    seed(org)
    client.force_login(org.s1_leader)
    r = client.get("/evaluation/?period=2025-03")
    assert r.status_code == 200 and r.context["unit"] == org.street1
    assert client.get(f"/evaluation/?period=2025-03&unit={org.street2.pk}").status_code == 404
    assert client.get(f"/evaluation/rates/?unit={org.street2.pk}&period=2025-03").status_code == 404
    r = client.get("/evaluation/rates/?period=2025-03&metric=valid")
    assert r.context["unit"] == org.street1 and r.context["page"].paginator.count == 10
    # The published ranking is for everyone; the drill-down is not.
    assert client.get("/evaluation/rankings/?period=2025-03").status_code == 200
    assert client.get("/evaluation/redblack/").status_code == 404
    assert client.post("/evaluation/rankings/publish/", {"period": "2025-03"}).status_code == 302
    from minhu.evaluation.models import RankingSnapshot

    assert not RankingSnapshot.objects.exists()
    r = client.get(f"/api/v1/evaluation/drilldown/?period=2025-03&unit={org.street2.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/api/v1/evaluation/dashboard/?period=2025-03")
    assert r.status_code == 200 and r.json()["unit"] == org.street1.pk


def test_anonymous_is_sent_to_login(client):
    assert client.get("/evaluation/rankings/").status_code == 302
    assert client.get("/api/v1/evaluation/rankings/").status_code in (401, 403)


def test_api_rates_rankings_drilldown_and_difference(client, org):
    seed(org)
    client.force_login(org.district_leader)
    r = client.get(f"/api/v1/evaluation/rates/?period=2025-03&unit={org.street1.pk}")
    row = r.json()["results"][0]
    assert (row["valid"], row["composite"], row["satisfaction_rate"]) == (10, "73.80", "77.00")
    r = client.get(
        f"/api/v1/evaluation/drilldown/?period=2025-03&unit={org.street1.pk}&metric=response_no"
    )
    assert r.json()["count"] == 2 and all(x["contacted"] is False for x in r.json()["results"])
    r = client.get("/api/v1/evaluation/rankings/?period=2025-03&group=street")
    rows = r.json()["groups"]["street"]["rows"]
    assert [x["unit"] for x in rows] == [org.street2.pk, org.street1.pk]
    r = client.post(
        "/api/v1/evaluation/rankings/publish/",
        {"period": "2025-03"},
        content_type="application/json",
    )
    assert r.status_code == 201
    snap = r.json()["snapshots"][0]["id"]
    r = client.post(
        "/api/v1/evaluation/rankings/publish/",
        {"period": "2025-03"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_published"
    r = client.get(f"/api/v1/evaluation/snapshots/{snap}/difference/")
    assert r.status_code == 200 and r.json()["changed"] is False
    r = client.get("/api/v1/evaluation/rates/?period=2025-3")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_period"


def test_api_supervision_and_nomination_flow(client, org):
    client.force_login(org.district_leader)
    r = client.post(
        "/api/v1/evaluation/supervisions/",
        {"unit": org.dept1.pk, "reason": "超时件数全区最多"},
        content_type="application/json",
    )
    assert r.status_code == 201
    sid = r.json()["id"]
    r = client.post(
        f"/api/v1/evaluation/supervisions/{sid}/close/",
        {"result": "已约谈整改"},
        content_type="application/json",
    )
    assert r.json()["status"] == "done"
    client.force_login(org.dispatcher)
    r = client.post(
        "/api/v1/evaluation/nominations/",
        {
            "period": "2025-03",
            "list_kind": "black",
            "subject_name": "某公司",
            "reason": "违规收费三次",
            "conduct": "illegal-fees",
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    nid = r.json()["id"]
    client.force_login(org.district_leader)
    r = client.post(
        f"/api/v1/evaluation/nominations/{nid}/decide/",
        {"approve": True},
        content_type="application/json",
    )
    assert r.json()["status"] == "approved"
    client.force_login(org.s1_handler)
    assert client.get("/api/v1/evaluation/nominations/").status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_data(client, org):
    client.force_login(org.district_leader)
    seed(org)
    urls = [
        "/evaluation/rankings/?period=2025-03",
        "/evaluation/?period=2025-03",
        "/evaluation/rates/?period=2025-03&metric=valid",
        "/api/v1/evaluation/rankings/?period=2025-03",
    ]
    before = {u: _queries(client, u) for u in urls}
    t = at(2025, 3, 12, 10, 0)
    for unit in (org.street1, org.street2, org.dept2, org.dept3, org.community1):
        for _ in range(3):
            follow_up(org, unit, when=t)
    after = {u: _queries(client, u) for u in urls}
    assert after == before
    assert max(after.values()) <= 45


def test_dashboard_numbers(client, org):
    seed(org)
    client.force_login(org.district_leader)
    data = client.get("/api/v1/evaluation/dashboard/?period=2025-03").json()
    assert data["kpi"]["total"] == 12
    assert dict(data["by_street"]) == {"东街道": 11, "西街道": 1}
    assert data["figures"]["valid"] == 12
    assert [g["count"] for g in data["grids"]] == [11, 1]
    actions.publish_ranking(actor=org.district_leader, period=MARCH)


def test_community_staff_get_a_clear_message_not_an_error(client, org):
    client.force_login(org.c1_handler)
    r = client.get("/evaluation/")
    assert r.status_code == 400 and "只有街道、镇和区直部门有看板" in r.content.decode()
    r = client.get("/evaluation/rates/?period=2025-03")
    assert r.status_code == 200 and r.context["unit"] == org.community1


STAFF_PAGES = {  # url -> the evaluation sub-tab it highlights
    "/evaluation/?period=2025-03": "dashboard",
    "/evaluation/rankings/?period=2025-03": "rankings",
    "/evaluation/rates/?period=2025-03&metric=valid": "rates",
    "/evaluation/evaluations/?period=2025-03": "evaluations",
    "/evaluation/interviews/": "interviews",
    "/evaluation/redblack/?period=2025-03": "redblack",
    "/evaluation/supervision/": "supervision",
    "/evaluation/ledgers/": "ledgers",
    "/evaluation/config/": "config",
    "/evaluation/appeals/?period=2025-03": "dashboard",
}


def test_staff_pages_sit_in_the_staff_shell(client, org):
    client.force_login(org.district_leader)
    seed(org)
    for url, tab in STAFF_PAGES.items():
        assert _queries(client, url) <= 30, url
        r = client.get(url)
        names = [t.name for t in r.templates]
        assert "web/base.html" in names and "evaluation/_subnav.html" in names, url
        html = r.content.decode()
        # exactly one sidebar item is highlighted: 考核评价; and the page's own sub-tab
        assert html.count('class="on" data-nav=') == 1, url
        assert 'class="on" data-nav="evaluation"' in html, url
        assert f'<a href="{reverse("evaluation:" + tab)}" class="on">' in html, url
    r = client.get("/evaluation/public/redblack/")
    assert r.status_code == 200
    assert "web/base.html" not in [t.name for t in r.templates]
    assert 'class="side"' not in r.content.decode()
