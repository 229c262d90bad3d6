"""A grid worker on a 375 px phone: opens the groups page, taps 登记群消息 on their group, pastes
a message as WeChat copies it, gets the work item's code and the receipt to copy; once the
street has replied, copies the answer back into the group and marks it posted. Every page of
the channel fits the phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals import actions as appeal_actions
from minhu.conftest import screenshot
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits
from minhu.wechat import actions
from minhu.wechat.models import GroupMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_turns_a_group_message_into_a_work_item(org, new_phone_page):
    group = actions.create_group(
        actor=org.c1_handler,
        unit=org.grid1,
        name="东一社区第1网格邻里群",
        keeper=org.grid1_worker,
        member_count=320,
    )
    page = new_phone_page()
    login(page, "g1w")
    page.goto(page.base + "/wechat/")
    assert_fits(page, "/wechat/")
    page.click("#my-groups [data-action=post-message]")
    page.wait_for_url(re.compile(rf"/wechat/{group.pk}/post/$"))
    assert_fits(page, "post")
    page.fill(
        "textarea[name=text]",
        "张阿姨 09:12\n3栋门口的路灯坏了一个星期了，晚上老人出门看不清，麻烦处理一下。",
    )
    page.click("[data-action=register-message]")
    page.wait_for_url(re.compile(r"/wechat/m/\d+/$"))
    m = GroupMessage.objects.select_related("appeal").get()
    expect(page.locator(".flash")).to_contain_text(m.appeal.code)
    expect(page.locator("#ack-text")).to_have_value(re.compile(r"^@张阿姨 .*" + m.appeal.code))
    assert_fits(page, "message")

    a = m.appeal
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    appeal_actions.claim(a, actor=org.s1_handler)
    appeal_actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="路灯已经更换")
    appeal_actions.reply(a, actor=org.s1_handler, text="路灯已更换，今晚恢复照明，谢谢您的反映。")
    page.reload()
    expect(page.locator("#answer-text")).to_have_value(re.compile("路灯已更换"))
    page.click("[data-copy='#answer-text']")
    expect(page.locator("[data-copied]")).to_be_visible()
    page.click("[data-action=mark-answered]")
    expect(page.locator("#answered")).not_to_contain_text("尚未回复")
    screenshot(page, "phone-wechat-message")

    page.goto(page.base + f"/wechat/{group.pk}/")
    page.fill("#r-title", "转发医保缴费通知")
    page.click("[data-action=add-record]")
    expect(page.locator("#n-posts")).to_have_text("1")
    assert_fits(page, "group")
    page.goto(page.base + "/wechat/stats/?level=grid")
    expect(page.locator("#wechat-stats tbody tr").first).to_contain_text("东一社区第1网格")
    assert_fits(page, "stats")
