"""In the browser: the community convenes a meeting from a resident's topic, records it and
decides that the property company rewires the stairwell; the company's handler does it on a
phone; the resident who raised the topic sees the outcome on the H5 page and rates it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals.models import Status
from minhu.consultation import actions
from minhu.consultation.models import Decision, MemberRole
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Role, UnitKind
from minhu.orgs.testing import make_user
from minhu.orgs.tests.test_outside_party_phone import claim_resolve_reply
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RESIDENT = "13800002001"


@pytest.fixture
def org_tx(transactional_db):
    from minhu.orgs.testing import build_org

    return build_org()


def test_meeting_from_topic_to_a_decision_done_by_the_property_company(
    org_tx, new_phone_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    org = org_tx
    prop = org_actions.create_unit(
        actor=org.admin,
        name="安居物业公司",
        code="p-anju",
        kind=UnitKind.PROPERTY,
        parent=org.community1,
    )
    make_user("wuye", prop, Role.HANDLER, display_name="安居物业客服")
    room = actions.create_room(actor=org.c1_handler, unit=org.community1, name="东一社区议事室")
    actions.add_member(room, actor=org.c1_handler, name="王委员", role=MemberRole.COMMITTEE)

    # --- the community (on a phone) registers the topic, convenes, holds and decides ------
    c = new_phone_page()
    login(c, "c1h")
    c.goto(c.base + "/consultation/")
    assert_fits(c, "rooms page")
    c.locator("#rooms a", has_text="东一社区议事室").click()
    assert_fits(c, "room page")
    c.locator("#topics summary", has_text="登记议题").click()
    form = c.locator("form[action$='/topics/']")
    form.locator("input[name=title]").fill("3号楼楼道灯长期不亮")
    form.locator("textarea[name=detail]").fill("3号楼楼道灯坏了几周，老人晚上上下楼危险。")
    form.locator("input[name=raised_by_name]").fill("赵阿姨")
    form.locator("input[name=raised_by_phone]").fill(RESIDENT)
    form.locator("button[type=submit]").click()
    expect(c.locator(".flash-success")).to_contain_text("议题已登记")

    c.locator("#topics summary", has_text="召集会议").click()
    form = c.locator("form[action$='/convene/']")
    form.locator("input[name=starts_at]").fill("2030-01-08T19:00")
    form.locator("label", has_text="安居物业公司").locator("input").check()
    form.locator("button[type=submit]").click()
    expect(c.locator(".flash-success")).to_contain_text("会议已召集")

    c.locator("#meetings summary", has_text="记录召开").click()
    form = c.locator("form[action$='/hold/']")
    form.locator("textarea[name=minutes]").fill("各方协商：物业重新布线，业主自购灯泡。")
    form.locator("button[type=submit]").click()
    expect(c.locator(".flash-success")).to_contain_text("已记录会议召开情况")

    c.locator("#meetings summary", has_text="形成决定").click()
    form = c.locator("form[action$='/decide/']")
    form.locator("textarea[name=text]").fill("物业公司三日内重新布线")
    form.locator("select[name=party]").select_option(label="安居物业公司")
    form.locator("input[name=due_on]").fill("2030-01-11")
    form.locator("button[type=submit]").click()
    expect(c.locator(".flash-success")).to_contain_text("已形成决定")
    decision = Decision.objects.get()
    item = decision.item
    expect(c.locator(f"#d{decision.pk}")).to_contain_text(item.code)
    expect(c.locator(f"#d{decision.pk}")).to_contain_text("待签收")
    assert_fits(c, "room page with decision")

    # --- the property company's handler works it on a phone ------------------------------
    p = new_phone_page()
    login(p, "wuye")
    p.goto(p.base + "/workbench/")
    claim_resolve_reply(
        p,
        item,
        outcome="电工已重新布线，楼道灯恢复照明。",
        reply="赵阿姨您好，3号楼楼道灯已重新布线，现已恢复照明，如有问题请致电物业",
    )
    # The room is not the company's business: not found.
    assert p.goto(p.base + f"/consultation/rooms/{room.pk}/").status == 404

    # --- the resident sees the outcome on the H5 page and rates it -------------------------
    h = new_phone_page()
    h.goto(f"{h.base}/h5/track/")
    h.fill("#id_code", item.code)
    h.fill("#id_phone", RESIDENT)
    h.get_by_role("button", name="查询", exact=True).click()
    h.wait_for_url(re.compile(rf"/h5/track/{item.code}/$"))
    expect(h.locator("body")).to_contain_text("楼道灯已重新布线")
    h.locator("label.tile-satisfied").click()
    h.get_by_role("button", name="提交评价").click()
    h.get_by_text("感谢").first.wait_for()
    item.refresh_from_db()
    assert item.status in (Status.REPLIED, Status.CLOSED)
    assert item.events.filter(kind="rate").exists()

    c.reload()
    expect(c.locator("#figures")).to_contain_text("议定事项完成 1")
