import pytest

from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.registry import access, actions, personal
from minhu.registry.models import Household, RegistryChange, Resident, Unmasking
from minhu.registry.testing import make_building, make_household, valid_id_number

pytestmark = pytest.mark.django_db


def test_household_create_update_history_masks_phone(org):
    b = make_building(org.grid1)
    hh = actions.save_household(
        actor=org.grid1_worker,
        grid=org.grid1,
        building=b,
        unit_no="2",
        room="301",
        address="东一小区1号楼2单元301",
        head_name="王芳",
        phone="13900001111",
        member_count=3,
        tags="独居老人、低保",
    )
    assert hh.estate_id == b.estate_id
    assert hh.tag_list == ["elderly_alone", "low_income"]
    actions.save_household(hh, actor=org.grid1_worker, phone="13900002222", member_count=3)
    log = list(RegistryChange.objects.filter(model="household", object_id=hh.pk).order_by("id"))
    assert [c.action for c in log] == ["create", "update"]
    assert log[1].changes == {"phone": ["139****1111", "139****2222"]}
    assert "13900001111" not in str(log[0].changes)
    # Nothing changed: no row.
    actions.save_household(hh, actor=org.grid1_worker, member_count=3)
    assert RegistryChange.objects.filter(model="household", object_id=hh.pk).count() == 2


def test_bad_input_is_refused_with_codes(org):
    with pytest.raises(InvalidInput) as e:
        actions.save_household(
            actor=org.grid1_worker, grid=org.grid1, address="x", head_name="a", tags="富豪"
        )
    assert e.value.code == "unknown_tag"
    hh = make_household(org.grid1)
    with pytest.raises(InvalidInput) as e:
        actions.save_resident(
            actor=org.grid1_worker, household=hh, name="李四", id_number="110105194912310021"
        )
    assert e.value.code == "invalid_id_number"
    assert not Resident.objects.exists()


def test_scope_outside_grid_is_not_found_and_read_only_roles_cannot_edit(org):
    hh2 = make_household(org.grid2)
    with pytest.raises(NotFound):
        actions.save_household(hh2, actor=org.grid1_worker, head_name="x")
    with pytest.raises(NotFound):
        access.access(org.grid1_worker, "household", hh2.pk)
    # The paired department (结对) reads community 1's registry but does not edit it.
    hh1 = make_household(org.grid1)
    assert access.households_visible_to(org.d1_handler).filter(pk=hh1.pk).exists()
    assert not access.households_visible_to(org.d2_handler).exists()
    with pytest.raises(PermissionDenied):
        actions.save_household(hh1, actor=org.d1_handler, head_name="x")
    # The community and its street edit; the other street does not see it.
    actions.save_household(hh1, actor=org.c1_handler, head_name="社区改")
    actions.save_household(hh1, actor=org.s1_handler, head_name="街道改")
    assert not access.households_visible_to(org.s2_handler).filter(pk=hh1.pk).exists()
    assert Household.objects.get(pk=hh1.pk).head_name == "街道改"


def test_resident_id_encrypted_hashed_and_reveal_is_logged(org):
    hh = make_household(org.grid1)
    number = valid_id_number(5, birth="19560302")
    r = actions.save_resident(
        actor=org.grid1_worker, household=hh, name="赵老伯", id_number=number, relation="head"
    )
    assert r.birth_year == 1956 and r.id_hash == personal.id_hash(number)
    assert number not in r.id_number_enc and r.id_masked == personal.mask_id(number)
    log = RegistryChange.objects.get(model="resident", object_id=r.pk)
    assert log.changes["id_number"] == [None, personal.mask_id(number)]
    assert number not in str(log.changes)

    with pytest.raises(InvalidInput) as e:
        actions.reveal(
            actor=org.grid1_worker, model="resident", pk=r.pk, field="id_number", reason=""
        )
    assert e.value.code == "reason_required"
    assert not Unmasking.objects.exists()
    value = actions.reveal(
        actor=org.grid1_worker, model="resident", pk=r.pk, field="id_number", reason="核对低保"
    )
    assert value == number
    u = Unmasking.objects.get()
    assert (u.actor, u.model, u.object_id, u.field, u.reason) == (
        org.grid1_worker,
        "resident",
        r.pk,
        "id_number",
        "核对低保",
    )
    # Read-only and out-of-scope users cannot unmask.
    with pytest.raises(PermissionDenied):
        actions.reveal(
            actor=org.d1_handler, model="resident", pk=r.pk, field="id_number", reason="看看"
        )
    with pytest.raises(NotFound):
        actions.reveal(
            actor=org.s2_handler, model="resident", pk=r.pk, field="id_number", reason="看看"
        )
    assert Unmasking.objects.count() == 1

    new = valid_id_number(6, birth="19560302")
    actions.save_resident(r, actor=org.grid1_worker, id_number=new)
    r.refresh_from_db()
    assert personal.decrypt_id(r.id_number_enc) == new and r.id_hash == personal.id_hash(new)
    last = RegistryChange.objects.filter(model="resident", object_id=r.pk).first()
    assert last.changes["id_number"] == [personal.mask_id(number), personal.mask_id(new)]


def test_cadre_link_replaces_the_current_one(org):
    hh = make_household(org.grid1)
    actions.link_cadre(
        hh, actor=org.c1_handler, cadre=org.grid1_worker, tier="backstop", unit=org.grid1
    )
    actions.link_cadre(
        hh, actor=org.c1_handler, cadre=org.d1_handler, tier="support", unit=org.dept1
    )
    links = list(hh.cadre_links.order_by("id"))
    assert links[0].ended_at is not None and links[1].ended_at is None
    assert links[1].cadre == org.d1_handler
    actions.end_link(links[1], actor=org.c1_handler, reason="调离")
    assert not hh.cadre_links.filter(ended_at__isnull=True).exists()
