"""The grid worker's registry pages on a phone (375 px): the household list, one household,
revealing an ID number with a reason (htmx), and editing the household, with no sideways
scrolling. Saves docs/screenshots/phone-registry-household.png."""

import pytest

from minhu.conftest import screenshot
from minhu.registry.models import Household, Unmasking
from minhu.registry.testing import make_building, make_household, make_resident, valid_id_number
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_household_pages_at_375px(phone_page, org):
    b = make_building(org.grid1, unmanaged=True, name="12号楼")
    households = [
        make_household(
            org.grid1, building=b, room=f"{301 + i}", tags=["elderly_alone", "low_income"]
        )
        for i in range(3)
    ]
    hh = households[0]
    number = valid_id_number(11, birth="19450618")
    make_resident(hh, name="孙秀英", id_number=number, relation="head", phone="13800138000")
    page = phone_page
    login(page, org.grid1_worker.username)
    for path in ["/registry/", "/registry/residents/", "/registry/buildings/", "/registry/shops/"]:
        assert page.goto(page.base + path).status == 200
        assert_fits(page, path)
    page.goto(page.base + "/registry/")
    page.get_by_role("link", name=hh.address).click()
    page.wait_for_url(f"**/registry/households/{hh.pk}/")
    assert_fits(page, "household page")
    cell = page.locator(f"#reveal-resident-{hh.residents.get().pk}-id_number")
    assert number not in cell.inner_text()
    row = page.locator("tr", has_text="孙秀英")
    row.locator("summary", has_text="查看明文").first.click()
    row.locator("input[name=reason]").first.fill("核对高龄补贴")
    row.locator("button", has_text="查看").first.click()
    page.get_by_text(number).first.wait_for()  # a locator wait (a string predicate needs eval)
    assert Unmasking.objects.get().reason == "核对高龄补贴"
    assert_fits(page, "household page, revealed")
    screenshot(page, "phone-registry-household")
    page.get_by_role("link", name="修改住户").click()
    assert_fits(page, "household form")
    page.fill("input[name=head_name]", "孙秀英")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/registry/households/{hh.pk}/")
    assert Household.objects.get(pk=hh.pk).head_name == "孙秀英"


def test_new_registry_pages_at_375px(phone_page, org, tmp_path):
    """On a phone: add an estate, a building (脱管) and a shop, change a household's cadre,
    the cadre coverage page, an import with its progress/result page, and the admin's 包联
    page: each fits 375 px."""
    from minhu.registry.models import Building, CadreLink, LeaderTownLink, RegistryImport, Shop
    from minhu.registry.tests.test_import import good_file

    page = phone_page
    login(page, org.grid1_worker.username)
    page.goto(page.base + "/registry/estates/")
    page.get_by_role("link", name="新增小区/自然村").click()
    assert_fits(page, "estate form")
    page.select_option("select[name=grid]", str(org.grid1.pk))
    page.fill("input[name=name]", "幸福家园")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/registry/estates/")
    assert_fits(page, "estates list")
    page.goto(page.base + "/registry/buildings/new/")
    assert_fits(page, "building form")
    page.select_option("select[name=grid]", str(org.grid1.pk))
    page.select_option("select[name=estate]", label="幸福家园")
    page.fill("input[name=name]", "7号楼")
    page.check("input[name=unmanaged]")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/registry/buildings/")
    assert Building.objects.get(name="7号楼").unmanaged
    page.goto(page.base + "/registry/shops/new/")
    assert_fits(page, "shop form")
    page.select_option("select[name=grid]", str(org.grid1.pk))
    page.fill("input[name=name]", "李记早餐店")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/registry/shops/")
    assert Shop.objects.get().name == "李记早餐店"
    hh = make_household(org.grid1, building=Building.objects.get(name="7号楼"), room="101")
    page.goto(page.base + f"/registry/households/{hh.pk}/")
    page.select_option("select[name=candidate]", f"{org.d1_handler.pk}:{org.dept1.pk}:support")
    page.get_by_role("button", name="调整联户").click()
    page.wait_for_selector(".flash")
    assert_fits(page, "household page after a cadre change")
    assert CadreLink.objects.get(household=hh, ended_at__isnull=True).cadre == org.d1_handler
    page.goto(page.base + "/registry/cadres/")
    assert_fits(page, "cadre coverage page")
    page.goto(page.base + f"/registry/cadres/?grid={org.grid1.pk}")
    assert_fits(page, "cadre coverage page, one grid")
    page.goto(page.base + "/registry/imports/")
    assert_fits(page, "imports page")
    f = tmp_path / "台账.xlsx"
    f.write_bytes(good_file())
    page.set_input_files("input[name=file]", str(f))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/registry/imports/*/")
    page.wait_for_selector("#import-status[data-status=done]")
    assert_fits(page, "import result page")
    assert RegistryImport.objects.get().status == "done"
    page.context.clear_cookies()
    login(page, org.admin.username)
    page.goto(page.base + "/registry/leaders/")
    assert_fits(page, "leaders page")
    page.select_option(f"#leader-{org.street1.pk}", str(org.district_leader.pk))
    page.locator("tr", has_text=org.street1.name).get_by_role("button", name="保存").click()
    page.wait_for_selector(".flash")
    assert LeaderTownLink.objects.get(ended_at__isnull=True).leader == org.district_leader
    assert_fits(page, "leaders page after saving")
