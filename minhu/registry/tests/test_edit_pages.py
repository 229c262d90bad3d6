"""Registry pages added in session 6: add/edit estates, buildings and shops through the verbs
(scoped: another grid is not found, a paired department reads but may not edit), manual
cadre changes on the household page (only the grid's candidates), and the admins' page of
district leaders' 包联."""

import pytest

from minhu.orgs.testing import PASSWORD
from minhu.registry import assignment
from minhu.registry.models import (
    Building,
    CadreLink,
    Estate,
    LeaderTownLink,
    RegistryChange,
    Shop,
)
from minhu.registry.testing import make_building, make_household

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_estates_buildings_and_shops_are_added_and_edited_through_the_verbs(client, org):
    c = _client(client, org.grid1_worker)
    assert "新增小区/自然村" in c.get("/registry/estates/").content.decode()
    r = c.post(
        "/registry/estates/new/",
        {
            "grid": org.grid1.pk,
            "name": "幸福家园",
            "kind": "estate",
            "address": "幸福路8号",
            "active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    estate = Estate.objects.get(name="幸福家园")
    assert RegistryChange.objects.filter(model="estate", object_id=estate.pk).exists()
    # A blank name is an inline error, nothing saved.
    r = c.post("/registry/buildings/new/", {"grid": org.grid1.pk, "estate": estate.pk, "name": ""})
    assert r.status_code == 200 and not Building.objects.exists()
    r = c.post(
        "/registry/buildings/new/",
        {
            "grid": org.grid1.pk,
            "estate": estate.pk,
            "name": "5号楼",
            "unit_count": 2,
            "floor_count": 6,
            "unmanaged": "on",
            "active": "on",
        },
    )
    assert r.status_code == 302
    b = Building.objects.get(name="5号楼")
    assert b.unmanaged and b.grid == org.grid1 and b.estate == estate
    page = c.get("/registry/buildings/").content.decode()
    assert f"/registry/buildings/{b.pk}/edit/" in page
    r = c.post(
        f"/registry/buildings/{b.pk}/edit/",
        {"estate": estate.pk, "name": "5号楼", "unit_count": 3, "floor_count": 6, "active": "on"},
    )
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.unit_count == 3 and not b.unmanaged
    r = c.post(
        "/registry/shops/new/",
        {
            "grid": org.grid1.pk,
            "building": b.pk,
            "name": "老王便民超市",
            "operator": "王建军",
            "phone": "13912345678",
            "licence_no": "91370400MA0001",
            "active": "on",
        },
    )
    assert r.status_code == 302
    shop = Shop.objects.get()
    body = c.get("/registry/shops/").content.decode()
    assert "13912345678" not in body and "老王便民超市" in body
    # Editing with the phone left blank keeps the stored number.
    r = c.post(
        f"/registry/shops/{shop.pk}/edit/",
        {"building": b.pk, "name": "老王便民超市", "operator": "王建国", "active": "on"},
    )
    assert r.status_code == 302
    shop.refresh_from_db()
    assert shop.operator == "王建国" and shop.phone == "13912345678"
    # Another street's handler: not found; the paired department reads but may not edit.
    c = _client(client, org.s2_handler)
    for path in (
        f"/registry/estates/{estate.pk}/edit/",
        f"/registry/buildings/{b.pk}/edit/",
        f"/registry/shops/{shop.pk}/edit/",
    ):
        assert c.get(path).status_code == 404, path
    c = _client(client, org.d1_handler)
    assert c.get("/registry/buildings/").status_code == 200
    assert f"/registry/buildings/{b.pk}/edit/" not in c.get("/registry/buildings/").content.decode()
    assert c.get(f"/registry/buildings/{b.pk}/edit/").status_code == 403
    assert c.get("/registry/shops/new/").status_code == 404


def test_manual_cadre_change_offers_only_the_grids_candidates(client, org):
    b = make_building(org.grid1)
    hh = make_household(org.grid1, building=b)
    cands = assignment.candidates(org.grid1)
    tiers = {(u.pk, t) for u, _unit, t in cands}
    assert (org.d1_handler.pk, "support") in tiers and (org.grid1_worker.pk, "backstop") in tiers
    assert org.s2_handler.pk not in {u.pk for u, _unit, _t in cands}
    c = _client(client, org.c1_handler)
    page = c.get(f"/registry/households/{hh.pk}/").content.decode()
    assert "调整联户" in page and f"{org.d1_handler.pk}:{org.dept1.pk}:support" in page
    r = c.post(
        f"/registry/households/{hh.pk}/cadre/",
        {"candidate": f"{org.d1_handler.pk}:{org.dept1.pk}:support"},
    )
    assert r.status_code == 302
    link = CadreLink.objects.get(household=hh, ended_at__isnull=True)
    assert link.cadre == org.d1_handler and link.tier == "support"
    # Someone outside the grid's candidates is refused, the link unchanged.
    r = c.post(
        f"/registry/households/{hh.pk}/cadre/",
        {"candidate": f"{org.s2_handler.pk}:{org.street2.pk}:backstop"},
        follow=True,
    )
    assert "请选择联户干部" in r.content.decode()
    assert CadreLink.objects.get(household=hh, ended_at__isnull=True).cadre == org.d1_handler
    from minhu.core.errors import InvalidInput
    from minhu.registry import actions

    with pytest.raises(InvalidInput):
        actions.link_cadre(
            hh, actor=org.c1_handler, cadre=org.s2_handler, tier="backstop", unit=org.street2
        )
    # Ending needs a reason.
    r = c.post(f"/registry/households/{hh.pk}/cadre/", {"action": "end"}, follow=True)
    assert "请填写解除原因" in r.content.decode()
    r = c.post(f"/registry/households/{hh.pk}/cadre/", {"action": "end", "reason": "干部调离"})
    assert not CadreLink.objects.filter(household=hh, ended_at__isnull=True).exists()
    assert CadreLink.objects.get(household=hh).end_reason == "干部调离"
    # A read-only paired department cannot change links.
    c = _client(client, org.d1_handler)
    r = c.post(
        f"/registry/households/{hh.pk}/cadre/",
        {"candidate": f"{org.d1_handler.pk}:{org.dept1.pk}:support"},
    )
    assert r.status_code == 403


def test_admin_sets_a_towns_leader_who_then_may_link_households(client, org):
    c = _client(client, org.c1_handler)
    assert c.get("/registry/leaders/").status_code == 404
    c = _client(client, org.admin)
    page = c.get("/registry/leaders/").content.decode()
    assert org.street1.name in page and "未设置" in page
    r = c.post("/registry/leaders/", {"town": org.street1.pk, "leader": org.district_leader.pk})
    assert r.status_code == 302
    link = LeaderTownLink.objects.get(ended_at__isnull=True)
    assert link.town == org.street1 and link.leader == org.district_leader
    # Not a district leader: refused, nothing changed.
    r = c.post(
        "/registry/leaders/", {"town": org.street1.pk, "leader": org.c1_handler.pk}, follow=True
    )
    assert "包联人须为区领导" in r.content.decode()
    assert LeaderTownLink.objects.get(ended_at__isnull=True).leader == org.district_leader
    # The leader is now a 联系 candidate for the street's grids.
    assert (org.district_leader.pk, "contact") in {
        (u.pk, t) for u, _unit, t in assignment.candidates(org.grid1)
    }
    r = c.post("/registry/leaders/", {"town": org.street1.pk, "leader": ""})
    assert not LeaderTownLink.objects.filter(ended_at__isnull=True).exists()
