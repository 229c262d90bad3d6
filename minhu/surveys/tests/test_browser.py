"""A questionnaire in the browser, from building it to an answer that becomes an appeal: a
community handler builds and publishes it on the desk, a resident answers on a phone through
the link, the answer's rule registers a work item, and the handler finds it in the answers,
charts drawn on the results page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals.models import Appeal
from minhu.conftest import screenshot
from minhu.surveys.models import Response, Survey
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_publish_answer_becomes_appeal(org, desk_page, new_desk_page, new_phone_page):
    page = desk_page
    login(page, "c1h")
    page.goto(page.base + "/surveys/")
    page.fill("#s-title", "东一社区环境满意度调查")
    page.select_option("#s-grid", str(org.grid1.pk))
    page.click("[data-action=new-survey]")
    page.wait_for_url(re.compile(r"/surveys/\d+/$"))
    page.select_option("#q-kind", "single")
    page.fill("#q-text", "您对小区环境卫生满意吗")
    page.check("input[name=required]")
    page.fill("#q-options", "满意\n一般\n不满意，有问题要反映")
    page.fill("#q-problem", "不满意，有问题要反映")
    page.click("[data-action=add-question]")
    expect(page.locator("#questions li")).to_have_count(1)
    page.select_option("#q-kind", "text")
    page.fill("#q-text", "具体问题和地点")
    page.click("[data-action=add-question]")
    expect(page.locator("#questions li")).to_have_count(2)
    page.click("[data-action=publish]")
    url = page.locator("#survey-url").inner_text()
    assert re.search(r"/h5/q/\w+/$", url)

    phone = new_phone_page()
    phone.goto(url)
    assert_fits(phone, "survey answer page")
    phone.click("button[type=submit]")  # required question left out
    expect(phone.locator(".notice-error")).to_contain_text("请回答")
    phone.click("label.seg-item:has-text('不满意，有问题要反映')")
    phone.fill("textarea", "3号楼垃圾站满了三天没人清运")
    phone.fill("#f-phone", "13812345678")
    screenshot(phone, "phone-survey-answer")
    phone.click("button[type=submit]")
    expect(phone.locator("#appeal-code")).to_be_visible()
    code = phone.locator("#appeal-code").inner_text()
    a = Appeal.objects.get(code=code)
    assert a.channel == "questionnaire" and a.grid_id == org.grid1.pk
    assert Response.objects.get().appeal_id == a.pk

    s = Survey.objects.get()
    page.goto(page.base + f"/surveys/{s.pk}/responses/?problem=1")
    expect(page.locator("[data-appeal]")).to_have_text(code)
    page.goto(page.base + f"/surveys/{s.pk}/results/")
    expect(page.locator(".survey-chart[data-ready='1']")).to_have_count(1)
    expect(page.locator("#n-responses")).to_have_text("1")

    # The dispatch centre opens the work item from the same list.
    desk = new_desk_page()
    login(desk, "dispatcher")
    desk.goto(desk.base + f"/surveys/{s.pk}/responses/")
    desk.click("a[data-appeal]")
    expect(desk.locator("body")).to_contain_text("3号楼垃圾站满了三天没人清运")

    small = new_phone_page()
    login(small, "c1h")
    for path in (
        "/surveys/",
        f"/surveys/{s.pk}/",
        f"/surveys/{s.pk}/results/",
        f"/surveys/{s.pk}/responses/",
    ):
        small.goto(small.base + path)
        assert_fits(small, path)
