"""A community handler puts a solved appeal on the 幸福清单 on a phone; a resident opens the
street's public list and a led project's progress on a phone; the lead unit ticks a milestone
from its phone. Every page fits 375 px and the public ones show no personal data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals import actions as appeal_actions
from minhu.appeals.tests.factories import replied
from minhu.conftest import screenshot
from minhu.happiness import actions
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_and_the_public_pages(org, new_phone_page):
    a = replied(org, subject="东一社区路灯不亮", appellant_name="李秀英", phone="13812345678")
    staff = new_phone_page()
    login(staff, "c1h")
    staff.goto(staff.base + "/happy/candidates/")
    assert_fits(staff, "candidates")
    staff.click("#candidates [data-action=publish]")
    staff.wait_for_url(re.compile(rf"/happy/publish/{a.pk}/$"))
    staff.fill("#p-title", "李秀英家门口路灯修好了")
    staff.click("[data-action=confirm-publish]")
    expect(staff.locator("[data-error=personal_data]")).to_be_visible()
    staff.fill("#p-title", "东一社区路灯恢复照明")
    staff.fill("#p-result", "街道联系城管局当天更换灯泡，恢复照明。")
    staff.click("[data-action=confirm-publish]")
    staff.wait_for_url(re.compile(r"/happy/candidates/$"))
    staff.goto(staff.base + "/happy/")
    expect(staff.locator("#listings")).to_contain_text("东一社区路灯恢复照明")
    assert_fits(staff, "listings")

    p = actions.create_project(
        actor=org.dispatcher,
        title="中小学教室配备空调",
        description="分批为区属中小学教室配备空调，暑期施工。",
        leader_kind="department",
        leader="区教育局",
        lead_unit=org.dept3,
        responsible="教育局副局长 李华",
        area=org.street1,
        milestones=["摸排教室", "采购安装"],
    )
    appeal_actions.claim(p.appeal, actor=org.d3_handler)
    lead = new_phone_page()
    login(lead, "d3h")
    lead.goto(lead.base + f"/happy/projects/{p.pk}/")
    assert_fits(lead, "project")
    lead.locator("[data-action=done-milestone]").first.click()
    expect(lead.locator("#state")).to_contain_text("1/2")

    resident = new_phone_page()
    resident.goto(resident.base + "/h5/happy/")
    resident.click(f"a[href='/h5/happy/{org.street1.code}/']")
    expect(resident.locator("#n-listed")).to_have_text("1")
    expect(resident.locator("#listings")).to_contain_text("东一社区路灯恢复照明")
    body = resident.locator("body").inner_text()
    assert "李秀英" not in body and "13812345678" not in body and a.code not in body
    assert_fits(resident, "public list")
    screenshot(resident, "phone-happy-list")
    resident.click("#projects a")
    expect(resident.locator("#project")).to_contain_text("1/2")
    assert_fits(resident, "public project")
