"""A deputy's suggestion in the browser: the dispatch centre enters it, the street answers, the
deputy opens it on a phone with the code on the answer letter and rates it; the letter shows
the rating. The pages fit a 375 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals import actions as appeal_actions
from minhu.conftest import screenshot
from minhu.deputies import actions
from minhu.deputies.models import Suggestion
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812345678"


def test_suggestion_to_answer_and_rating(org, desk_page, new_phone_page):
    d = actions.create_deputy(
        actor=org.dispatcher,
        name="王建国",
        level="district",
        constituency="东街道第3选区",
        phone=PHONE,
    )
    page = desk_page
    login(page, "dispatcher")
    page.goto(page.base + "/deputies/new/")
    page.select_option("select[name=deputy]", value=str(d.pk))
    page.fill("input[name=title]", "建议增设社区老年食堂")
    page.fill("textarea[name=content]", "东一社区老年人多，午饭难，建议增设老年食堂。")
    page.click("[data-action=submit-suggestion]")
    page.wait_for_url(re.compile(r"/deputies/\d+/$"))
    expect(page.locator("#answer-text")).to_contain_text("尚未答复")
    s = Suggestion.objects.select_related("appeal").get()
    a = s.appeal
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    appeal_actions.claim(a, actor=org.s1_handler)
    appeal_actions.resolve(
        a, actor=org.s1_handler, outcome_kind="on_spot", outcome="老年食堂已开业"
    )
    appeal_actions.reply(a, actor=org.s1_handler, text="老年食堂已于本月开业，感谢代表建议。")
    page.reload()
    expect(page.locator("#answer-text")).to_contain_text("老年食堂已于本月开业")
    rate_url = page.locator("#answer .mono").last.inner_text()
    assert rate_url.endswith(f"/h5/track/?code={a.code}")

    # The deputy, on a phone, with the address printed on the letter.
    phone = new_phone_page()
    phone.goto(rate_url)
    phone.fill("input[name=phone]", PHONE)
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(rf"/h5/track/{a.code}/$"))
    phone.click("label.tile-satisfied")
    phone.click("form[action$='/rate/'] button[type=submit]")
    expect(phone.locator(".rated")).to_contain_text("满意")

    page.reload()
    expect(page.locator("#rating")).to_have_text("满意")
    page.goto(page.base + "/deputies/stats/")
    expect(page.locator("#per-deputy tbody tr").first).to_contain_text("王建国")

    # The dispatch centre's pages on a phone.
    small = new_phone_page()
    login(small, "dispatcher")
    for path in ("/deputies/", f"/deputies/{s.pk}/", "/deputies/register/", "/deputies/bulk/"):
        small.goto(small.base + path)
        assert_fits(small, path)
    small.goto(small.base + f"/deputies/{s.pk}/")
    screenshot(small, "phone-deputy-answer")
