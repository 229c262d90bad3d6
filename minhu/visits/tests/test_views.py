import io
import uuid

import pytest
from openpyxl import load_workbook

from minhu.appeals.models import Appeal
from minhu.orgs.testing import PASSWORD
from minhu.visits import actions
from minhu.visits.models import Outcome, Visit

from .factories import build_campaign

pytestmark = pytest.mark.django_db


def _client(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_visitor_list_and_form_post_is_idempotent(client, org):
    c = build_campaign(org)
    cl = _client(client, c.v1)
    r = cl.get(f"/visits/c/{c.campaign.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert c.hh1[0].address in html and c.hh1[1].address not in html  # only my own
    assert c.hh1[0].head_name not in html  # masked
    cid = str(uuid.uuid4())
    data = {
        "client_id": cid,
        "outcome": "visited",
        "q0": "很好",
        "leaflets": "2",
        "p0_domain": "living",
        "p0_text": "楼道灯坏了好几天",
        "p0_on_spot": "1",
        "p0_solution": "已更换灯泡",
        "p1_domain": "security",
        "p1_text": "夜里小区门口有人飙车",
    }
    url = f"/visits/c/{c.campaign.pk}/h/{c.hh1[0].pk}/"
    r1 = cl.post(url, data, HTTP_ACCEPT="application/json")
    r2 = cl.post(url, data, HTTP_ACCEPT="application/json")
    assert r1.status_code == 201 and r2.status_code == 200
    assert r1.json()["visit"] == r2.json()["visit"]
    assert Visit.objects.count() == 1
    assert Appeal.objects.filter(kind="visit_problem", channel="visit").count() == 1
    page = cl.get(url).content.decode()
    assert "已更换灯泡" in page and "待派单" in page  # the problem's progress
    bad = cl.post(
        url, {"client_id": str(uuid.uuid4()), "outcome": "x"}, HTTP_ACCEPT="application/json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_outcome"


def test_household_of_another_grid_is_not_found(client, org):
    c = build_campaign(org)
    cl = _client(client, c.v1)
    assert cl.get(f"/visits/c/{c.campaign.pk}/h/{c.hh2[0].pk}/").status_code == 404
    assert cl.get(f"/visits/c/{c.campaign.pk}/coverage/").status_code == 404
    assert cl.get(f"/visits/door/{c.hh2[0].pk}/").status_code == 404
    r = cl.get(f"/visits/door/{c.hh1[0].pk}/")
    assert r.status_code == 302 and r["Location"].endswith(f"/h/{c.hh1[0].pk}/")


def _visit(c, visitor, h, outcome=Outcome.VISITED, problems=()):
    return actions.record_visit(
        actor=visitor,
        client_id=uuid.uuid4(),
        campaign=c.campaign.pk,
        household_id=h.pk,
        outcome=outcome,
        problems=problems,
    )


def test_coverage_numbers_and_xlsx(client, org):
    c = build_campaign(org)
    _visit(
        c,
        c.v1,
        c.hh1[0],
        problems=[
            actions.ProblemInput("living", "楼道灯坏了好几天", True, "已更换"),
            actions.ProblemInput("security", "夜里有人飙车扰民", False),
        ],
    )
    _visit(c, c.v2, c.hh1[1], outcome=Outcome.NOT_HOME)
    _visit(c, c.v3, c.hh2[0], outcome=Outcome.REFUSED)
    from minhu.visits.coverage import coverage

    rows, total = coverage(c.campaign, "street")
    by = {r.name: r for r in rows}
    assert (by["东街道"].households, by["东街道"].reached, by["东街道"].again) == (3, 1, 1)
    assert (by["西街道"].households, by["西街道"].reached) == (2, 1)
    assert (total.households, total.reached, total.rate) == (5, 2, 40.0)
    assert (total.problems, total.on_spot, total.coordinating, total.closed) == (2, 1, 1, 0)
    rows, _ = coverage(c.campaign, "visitor")
    assert {r.name: r.reached for r in rows}["东街道承办人"] == 1
    cl = _client(client, org.admin)
    assert "40.0%" in cl.get(f"/visits/c/{c.campaign.pk}/coverage/").content.decode()
    r = cl.get(f"/visits/c/{c.campaign.pk}/coverage/?format=xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["按镇街"]
    rows = list(ws.values)
    assert rows[0][:4] == ("名称", "应走访户数", "已走访户数", "入户率(%)")
    assert rows[-1][:4] == ("合计", 5, 2, 40.0)
    r = cl.get(f"/visits/c/{c.campaign.pk}/ledger/problems/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.values)
    assert rows[0][:7] == ("日期", "镇街", "网格", "住户地址", "户主", "走访人", "问题领域")
    assert len(rows) == 3
    assert c.hh1[0].head_name not in [cell for row in rows for cell in row]  # masked
    r = cl.get(f"/visits/c/{c.campaign.pk}/ledger/visits/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "走访时间" and len(rows) == 4
    # The visitor's personal ledger only has their own visits.
    cl2 = _client(client, c.v1)
    page = cl2.get(f"/visits/c/{c.campaign.pk}/ledger/visits/?mine=1").content.decode()
    assert c.hh1[0].address in page and c.hh2[0].address not in page


def test_admin_starts_a_campaign_assigns_and_moves(client, org):
    c = build_campaign(org)  # builds the registry and cadre links (and one campaign)
    cl = _client(client, org.admin)
    assert "发起走访活动" in cl.get("/visits/").content.decode()
    form = cl.get("/visits/new/").content.decode()
    assert "亮明身份" in form  # the default script is offered
    r = cl.post(
        "/visits/new/",
        {
            "name": "春节前走访",
            "owner_unit": org.district.pk,
            "starts_on": "2026-12-01",
            "ends_on": "2026-11-01",
            "areas": [org.street1.pk],
            "steps": "亮明身份",
            "questions": "身体好吗",
            "benefits": "医保",
        },
    )
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    r = cl.post(
        "/visits/new/",
        {
            "name": "春节前走访",
            "owner_unit": org.district.pk,
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-20",
            "areas": [org.street1.pk, org.grid2.pk],
            "steps": "亮明身份\n拉家常",
            "questions": "身体好吗\n\n有什么困难",
            "benefits": "医保",
        },
    )
    from minhu.visits.models import Assignment, Campaign

    new = Campaign.objects.get(name="春节前走访")
    assert r.status_code == 302 and r["Location"].endswith(f"/visits/c/{new.pk}/manage/")
    assert new.questions == ["身体好吗", "有什么困难"]
    assert set(new.grids.all()) == {org.grid1, org.grid2}
    page = cl.get(f"/visits/c/{new.pk}/manage/").content.decode()
    assert c.hh1[0].address in page  # not assigned yet
    cl.post(f"/visits/c/{new.pk}/manage/", {"op": "assign"})
    assert Assignment.objects.filter(campaign=new).count() == 5
    page = cl.get(f"/visits/c/{new.pk}/manage/").content.decode()
    assert c.hh2[-1].address in page and c.hh1[0].address not in page
    cl.post(
        f"/visits/c/{new.pk}/manage/",
        {"op": "move", "household": [c.hh2[-1].pk], "visitor": c.v3.username},
    )
    assert Assignment.objects.get(campaign=new, household=c.hh2[-1]).visitor == c.v3
    qr = cl.get(f"/visits/door/{c.hh1[0].pk}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    # A handler of a street that only takes part cannot manage it.
    cl2 = _client(client, c.v1)
    assert cl2.get(f"/visits/c/{new.pk}/manage/").status_code == 404
    assert cl2.get("/visits/new/").status_code == 200  # s1 handler may organise in street1


def test_domain_settings_set_the_lead_department(client, org):
    from minhu.core.models import ConfigChange
    from minhu.visits.models import ProblemDomain, SatisfactionDomain

    build_campaign(org)
    assert _client(client, org.s1_handler).get("/visits/domains/").status_code == 404
    cl = _client(client, org.admin)
    assert cl.get("/visits/domains/").status_code == 200
    data = {}
    for s in SatisfactionDomain.objects.all():
        data[f"sat{s.pk}_name"] = s.name
        data[f"sat{s.pk}_lead"] = org.dept2.pk if s.code == "living" else ""
    for p in ProblemDomain.objects.all():
        data[f"p{p.pk}_name"] = "治安秩序" if p.code == "security" else p.name
        data[f"p{p.pk}_sat"] = p.satisfaction_id or ""
        if p.code != "other":
            data[f"p{p.pk}_active"] = "1"
    cl.post("/visits/domains/", data)
    assert SatisfactionDomain.objects.get(code="living").lead_unit == org.dept2
    assert ProblemDomain.objects.get(code="security").name == "治安秩序"
    assert not ProblemDomain.objects.get(code="other").active
    assert ConfigChange.objects.filter(model="visits.satisfactiondomain").exists()


def test_coverage_drills_down_from_a_street(client, org):
    c = build_campaign(org)
    _visit(c, c.v1, c.hh1[0])
    cl = _client(client, org.admin)
    page = cl.get(f"/visits/c/{c.campaign.pk}/coverage/?level=street").content.decode()
    assert f"?level=community&within={org.street1.pk}" in page
    page = cl.get(
        f"/visits/c/{c.campaign.pk}/coverage/?level=grid&within={org.street1.pk}"
    ).content.decode()
    assert org.grid1.name in page and org.grid2.name not in page
    assert "33.3%" in page  # 1 of grid1's 3 households
