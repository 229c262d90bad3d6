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
    page.wait_for_function(f"document.body.innerText.includes('{number}')")
    assert Unmasking.objects.get().reason == "核对高龄补贴"
    assert_fits(page, "household page, revealed")
    screenshot(page, "phone-registry-household")
    page.get_by_role("link", name="修改住户").click()
    assert_fits(page, "household form")
    page.fill("input[name=head_name]", "孙秀英")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/registry/households/{hh.pk}/")
    assert Household.objects.get(pk=hh.pk).head_name == "孙秀英"
