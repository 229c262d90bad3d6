"""Outside parties (property companies, social organisations, volunteer teams, resident units,
service providers) are units of their own kinds: they take work through the same verbs and
scope rules as the government's units, see only what is assigned to them, and are ranked as
their own group."""

from __future__ import annotations

import pytest

from minhu.appeals import actions
from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Channel, Status
from minhu.appeals.tests.factories import client_for, error_code
from minhu.core.errors import InvalidInput, NotFound
from minhu.evaluation import rankings
from minhu.evaluation.models import RankingGroup
from minhu.orgs import actions as org_actions
from minhu.orgs.models import HANDLING_KINDS, OUTSIDE_KINDS, Role, UnitKind
from minhu.orgs.testing import make_user

API = "/api/v1/appeals/"


@pytest.fixture
def parties(org):
    prop = org_actions.create_unit(
        actor=org.admin,
        name="安居物业公司",
        code="p-anju",
        kind=UnitKind.PROPERTY,
        parent=org.community1,
        paired_communities=[org.community2],
    )
    other = org_actions.create_unit(
        actor=org.admin,
        name="宜家物业公司",
        code="p-yijia",
        kind=UnitKind.PROPERTY,
        parent=org.community2,
    )
    org.prop, org.prop2 = prop, other
    org.prop_handler = make_user("ph", prop, Role.HANDLER, display_name="安居物业客服")
    org.prop2_handler = make_user("p2h", other, Role.HANDLER, display_name="宜家物业客服")
    return org


def _dispatched(org, unit, subject="3号楼楼道灯不亮"):
    a = actions.register_appeal(
        actor=org.dispatcher,
        channel=Channel.HOTLINE,
        subject=subject,
        detail=f"{subject}，已经两周了，晚上上下楼很危险。",
        appellant_name="李先生",
        appellant_phone="13912345678",
        grid=org.grid1,
        address="东一社区3号楼2单元",
    )
    actions.classify(a, actor=org.dispatcher, category=org.category)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=unit)
    return a


def test_outside_kinds_take_work_and_sit_under_streets_or_communities(parties):
    org = parties
    assert OUTSIDE_KINDS <= HANDLING_KINDS
    assert list(org.prop.paired_communities.all()) == [org.community2]
    # An outside party is registered by a street or community, not by a department or grid.
    for parent in (org.district, org.dept1, org.grid1):
        with pytest.raises(InvalidInput) as e:
            org_actions.create_unit(
                actor=org.admin,
                name="某志愿队",
                code=f"v-{parent.code}",
                kind=UnitKind.VOLUNTEER,
                parent=parent,
            )
        assert e.value.code == "invalid_parent"
    vol = org_actions.create_unit(
        actor=org.admin, name="东街道志愿服务队", code="v-s1", kind="volunteer", parent=org.street1
    )
    assert vol.get_kind_display() == "志愿服务队"
    # The communities an outside party serves must be communities or villages.
    with pytest.raises(InvalidInput) as e:
        org_actions.update_unit(vol, actor=org.admin, paired_communities=[org.street2])
    assert e.value.code == "invalid_pairing"
    # A street still cannot pair with communities.
    with pytest.raises(InvalidInput) as e:
        org_actions.update_unit(org.street2, actor=org.admin, paired_communities=[org.community2])
    assert e.value.code == "pairing_not_allowed"


def test_property_company_works_its_item_through_the_loop(parties):
    org = parties
    mine = _dispatched(org, org.prop)
    theirs = _dispatched(org, org.prop2, "西一社区垃圾房清运不及时")
    street = _dispatched(org, org.street1, "幸福路路灯不亮")

    assert set(appeals_visible_to(org.prop_handler)) == {mine}
    assert set(appeals_visible_to(org.prop2_handler)) == {theirs}
    # Another company's item, or the street's, is "not found", for reading and for verbs.
    for other in (theirs, street):
        with pytest.raises(NotFound):
            actions.claim(other, actor=org.prop_handler)

    actions.claim(mine, actor=org.prop_handler)
    actions.add_progress(mine, actor=org.prop_handler, note="电工已到场，线路老化，需更换。")
    actions.resolve(mine, actor=org.prop_handler, outcome_kind="on_spot", outcome="已重新布线")
    actions.reply(mine, actor=org.prop_handler, text="您好，楼道灯线路已更换，现已恢复照明。")
    mine.refresh_from_db()
    assert mine.status == Status.REPLIED
    assert mine.lead_unit_id == org.prop.pk
    kinds = list(mine.events.values_list("kind", flat=True))
    assert {"claim", "progress", "resolve", "reply"} <= set(kinds)
    # The street that registered the company does not see the company's item by that fact
    # alone; the community's leader-less handler neither (only their own units' items).
    assert mine not in set(appeals_visible_to(org.s2_handler))


def test_api_scope_property_company_sees_only_its_own(parties):
    org = parties
    mine = _dispatched(org, org.prop)
    theirs = _dispatched(org, org.prop2, "西一社区垃圾房清运不及时")
    c = client_for(org.prop_handler)

    listing = c.get(API)
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()["results"]] == [mine.pk]
    assert c.get(f"{API}{mine.pk}/").status_code == 200

    r = c.get(f"{API}{theirs.pk}/")
    assert r.status_code == 404 and error_code(r) == "not_found"
    r = c.post(f"{API}{theirs.pk}/claim/", {}, format="json")
    assert r.status_code == 404 and error_code(r) == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == Status.DISPATCHED

    r = c.post(f"{API}{mine.pk}/claim/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = c.post(
        f"{API}{mine.pk}/resolve/",
        {"outcome_kind": "on_spot", "outcome": "已更换灯具"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "resolved"
    # The lead unit's handler calls the appellant back: the phone is shown to them.
    assert r.json()["appellant_phone"] == "13912345678"
    # The other company's handler cannot see it.
    r = client_for(org.prop2_handler).get(f"{API}{mine.pk}/")
    assert r.status_code == 404


def test_outside_parties_are_ranked_as_their_own_group(parties):
    org = parties
    assert rankings.group_of(org.prop) == RankingGroup.PARTY
    assert rankings.group_of(org.street1) == RankingGroup.STREET
    names = {u.name for u in rankings.group_units(RankingGroup.PARTY)}
    assert names == {"安居物业公司", "宜家物业公司"}
    assert not {u.kind for u in rankings.group_units(RankingGroup.STREET)} & OUTSIDE_KINDS


def test_rankings_page_shows_the_outside_parties_group(client, parties):
    client.force_login(parties.district_leader)
    page = client.get("/evaluation/rankings/").content.decode()
    assert "社会力量" in page and "安居物业公司" in page
