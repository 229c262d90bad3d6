"""The staff intake form asks for the chosen category's fields (htmx), on a 375 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.appeals.models import Appeal
from minhu.categories.tests.factories import field
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = pytest.mark.browser


def test_grid_worker_intake_asks_for_the_category_fields(org_tx, new_phone_page):
    org = org_tx
    field(org, "pole", "灯杆编号", required=True, order=1, help_text="灯杆上喷涂的编号")
    field(org, "lamp", "故障情况", datatype="single", options="dark=不亮\nflicker=闪烁", order=2)
    page = new_phone_page()
    login(page, "g1w")
    page.goto(page.base + "/appeals/new/")
    expect(page.locator("input[name=attr_pole]")).to_have_count(0)
    page.select_option("select[data-cat-top]", str(org.top_category.pk))
    page.select_option("#id_category", str(org.category.pk))
    expect(page.locator("input[name=attr_pole]")).to_be_visible()
    expect(page.locator("#intake-attrs")).to_contain_text("灯杆上喷涂的编号")
    assert_fits(page, "intake with category fields")
    page.fill("input[name=appellant_phone]", "13900001111")
    page.fill("input[name=subject]", "路灯不亮")
    page.fill("textarea[name=detail]", "小区东门的路灯坏了一周，晚上出行不便。")
    page.select_option("select[name=attr_lamp]", "flicker")
    page.locator("button[data-action=register]").click()
    expect(page.locator("#intake-attrs .err")).to_contain_text("请填写灯杆编号")
    expect(page.locator("select[name=attr_lamp]")).to_have_value("flicker")
    page.fill("input[name=attr_pole]", "DJ-0231")
    page.locator("button[data-action=register]").click()
    expect(page.locator(".flash-success")).to_contain_text("已登记诉求")
    created = Appeal.objects.get(subject="路灯不亮")
    assert created.attributes == {"pole": "DJ-0231", "lamp": "flicker"}
    expect(page.locator("dl.attrs")).to_contain_text("DJ-0231")
    assert_fits(page, "appeal page with category fields")
