import pytest

from minhu.orgs.testing import PASSWORD
from minhu.registry.models import Household, RegistryChange, Resident, Unmasking
from minhu.registry.testing import make_building, make_household, make_resident, valid_id_number

pytestmark = pytest.mark.django_db


def _client(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_lists_are_scoped_searchable_paginated_and_masked(client, org):
    b = make_building(org.grid1, unmanaged=True)
    for i in range(25):
        make_household(
            org.grid1, building=b, room=f"{201 + i}", head_name=f"张{i:02d}", phone="13912345678"
        )
    make_household(org.grid2, head_name="西街住户")
    c = _client(client, org.grid1_worker)
    r = c.get("/registry/")
    body = r.content.decode()
    assert r.status_code == 200 and "共 25 条" in body
    assert "13912345678" not in body and "139****5678" in body
    assert "西街住户" not in body and "脱管" in body
    r = c.get("/registry/", {"q": "张07"})
    assert "共 1 条" in r.content.decode()
    r = c.get("/registry/", {"page": 2})
    assert r.status_code == 200
    other = Household.objects.get(head_name="西街住户")
    assert c.get(f"/registry/households/{other.pk}/").status_code == 404
    assert c.get(f"/registry/households/{other.pk}/edit/").status_code == 404
    for path in (
        "/registry/residents/",
        "/registry/buildings/",
        "/registry/estates/",
        "/registry/shops/",
    ):
        assert c.get(path).status_code == 200, path
    # Unmasking log: admins only.
    assert c.get("/registry/unmaskings/").status_code == 404


def test_edit_household_and_resident_through_forms(client, org):
    hh = make_household(org.grid1, head_name="旧户主")
    c = _client(client, org.grid1_worker)
    r = c.post(
        f"/registry/households/{hh.pk}/edit/",
        {
            "address": hh.address,
            "head_name": "新户主",
            "member_count": 4,
            "tags": ["elderly_alone"],
            "active": "on",
        },
    )
    assert r.status_code == 302
    hh.refresh_from_db()
    assert hh.head_name == "新户主" and hh.tag_list == ["elderly_alone"] and hh.phone  # phone kept
    r = c.post(
        f"/registry/households/{hh.pk}/residents/new/",
        {"name": "新户主", "relation": "head", "id_number": "110105194912310021", "active": "on"},
    )
    assert r.status_code == 200 and "身份证号校验位不正确" in r.content.decode()
    assert not Resident.objects.exists()
    r = c.post(
        f"/registry/households/{hh.pk}/residents/new/",
        {"name": "新户主", "relation": "head", "id_number": "11010519491231002X", "active": "on"},
    )
    assert r.status_code == 302
    page = c.get(f"/registry/households/{hh.pk}/").content.decode()
    assert "110***********002X" in page and "11010519491231002X" not in page
    assert RegistryChange.objects.filter(model="resident").count() == 1
    # A read-only (paired department) user sees the page without edit links or reveal forms.
    c.logout()
    d = _client(client, org.d1_handler)
    page = d.get(f"/registry/households/{hh.pk}/").content.decode()
    assert "查看明文" not in page and "修改住户" not in page
    assert d.get(f"/registry/households/{hh.pk}/edit/").status_code == 403


def test_reveal_needs_a_reason_and_is_logged_for_admins(client, org):
    hh = make_household(org.grid1)
    number = valid_id_number(3)
    r = make_resident(hh, id_number=number)
    c = _client(client, org.grid1_worker)
    url = f"/registry/reveal/resident/{r.pk}/id_number/"
    assert c.post(url, {"reason": ""}).status_code == 400
    resp = c.post(url, {"reason": "核对身份"})
    assert resp.status_code == 200 and number in resp.content.decode()
    assert Unmasking.objects.count() == 1
    assert (
        c.post("/registry/reveal/resident/999999/id_number/", {"reason": "核对"}).status_code == 404
    )
    c.logout()
    a = _client(client, org.admin)
    page = a.get("/registry/unmaskings/").content.decode()
    assert "核对身份" in page and "网格员甲" in page and number not in page
