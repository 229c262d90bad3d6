import pytest

from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.orgs.models import Membership, Role
from minhu.orgs.testing import PASSWORD, make_user
from minhu.registry import actions, assignment
from minhu.registry.models import CadreLink, LeaderTownLink
from minhu.registry.testing import make_building, make_household

pytestmark = pytest.mark.django_db


def test_paired_department_supports_and_buildings_stay_together(org):
    # Community 1 is paired with dept1 (结对): its cadres 帮包 grid 1.
    make_user("d1b", org.dept1, Role.HANDLER, display_name="城管局干部乙")
    b1, b2, b3 = (make_building(org.grid1, name=f"{i}号楼") for i in (1, 2, 3))
    for b, n in ((b1, 6), (b2, 4), (b3, 3)):
        for i in range(n):
            make_household(org.grid1, building=b, room=f"{101 + i}")
    loose = [make_household(org.grid1) for _ in range(3)]
    assert actions.auto_assign(org.grid1, actor=org.c1_handler) == 16
    links = CadreLink.objects.filter(ended_at__isnull=True).select_related("household")
    assert {link.tier for link in links} == {"support"}
    assert {link.unit_id for link in links} == {org.dept1.pk}
    for b in (b1, b2, b3):
        assert len({link.cadre_id for link in links if link.household.building_id == b.pk}) == 1
    load = assignment.current_load([u.pk for u, _ in assignment.pool_for(org.grid1).cadres])
    assert sorted(load.values()) == [8, 8]  # 6+... balanced: {6,3(+loose)} vs {4,3,1}
    assert all(h.cadre_links.filter(ended_at__isnull=True).count() == 1 for h in loose)
    # Running again links nothing twice.
    assert actions.auto_assign(org.grid1, actor=org.c1_handler) == 0


def test_unpaired_grid_is_backstopped_by_its_area(org):
    make_user("g2w", org.grid2, Role.GRID_WORKER)
    for _ in range(4):
        make_household(org.grid2)
    assert actions.auto_assign(org.grid2, actor=org.s2_handler) == 4
    tiers = set(CadreLink.objects.values_list("tier", flat=True))
    assert tiers == {"backstop"}
    with pytest.raises(PermissionDenied):
        actions.auto_assign(org.grid1, actor=org.d1_handler)


def test_coverage_finds_unlinked_overloaded_and_left(org):
    hhs = [make_household(org.grid1) for _ in range(5)]
    for h in hhs[:4]:
        actions.link_cadre(
            h, actor=org.c1_handler, cadre=org.grid1_worker, tier="backstop", unit=org.grid1
        )
    cov = assignment.coverage(
        assignment.unlinked.__globals__["Household"].objects.all(), max_load=3
    )
    assert (cov.households, cov.linked, cov.unlinked) == (5, 4, 1)
    assert cov.overloaded == [(org.grid1_worker, 4)]
    assert cov.left == []
    Membership.objects.filter(user=org.grid1_worker).update(active=False)
    org.grid1_worker.refresh_from_db()
    cov = assignment.coverage(hhs[0].__class__.objects.all(), max_load=10)
    assert cov.left == [(org.grid1_worker, 4)] and cov.overloaded == []


def test_town_leader_and_coverage_page(client, org):
    actions.set_town_leader(org.street1, actor=org.admin, leader=org.district_leader)
    assert LeaderTownLink.objects.get(ended_at__isnull=True).leader == org.district_leader
    with pytest.raises(InvalidInput):
        actions.set_town_leader(org.street1, actor=org.admin, leader=org.s1_handler)
    with pytest.raises(InvalidInput):
        actions.set_town_leader(org.community1, actor=org.admin, leader=org.district_leader)
    for _ in range(3):
        make_household(org.grid1)
    assert client.login(username=org.c1_handler.username, password=PASSWORD)
    page = client.get("/registry/cadres/", {"grid": org.grid1.pk}).content.decode()
    assert "未联户" in page and "结对部门帮包" in page
    r = client.post(f"/registry/cadres/?grid={org.grid1.pk}", {"grid": org.grid1.pk})
    assert "已为东一社区第1网格自动联户 3 户" in r.content.decode()
    assert client.post("/registry/cadres/", {"grid": org.grid2.pk}).status_code == 404
