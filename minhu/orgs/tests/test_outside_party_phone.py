"""A property company's handler logs in on a phone (375 px) and works through its items on
the ordinary workbench: claims, records progress, resolves and replies; another company's item
is "not found"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals.models import Status
from minhu.conftest import screenshot
from minhu.orgs.models import Role, UnitKind
from minhu.orgs.testing import make_user
from minhu.web.tests.test_browser import htmx_idle, login
from minhu.web.tests.test_phone import assert_fits

from .test_outside_parties import _dispatched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def claim_resolve_reply(page, item, *, outcome: str, reply: str) -> None:
    """From the workbench: claim the item, open it, resolve it (coordinated) and reply, each
    page fitting the phone."""
    page.locator(f"#wb-{item.pk} button[data-action=claim]").click()
    expect(page.locator(f"#wb-{item.pk}")).to_contain_text("已签收")
    page.locator(f"#wb-{item.pk} a", has_text="打开办理").click()
    expect(page.locator(".a-title")).to_contain_text("办理中")
    assert_fits(page, "item page")
    page.locator("summary", has_text=re.compile("^办结")).click()
    resolve = page.locator("form[hx-post$='/act/resolve/']")
    resolve.locator("label", has_text="协调解决").click()
    resolve.locator("textarea[name=outcome]").fill(outcome)
    resolve.locator("button[type=submit]").click()
    expect(page.locator(".a-title")).to_contain_text("已办理待答复")
    htmx_idle(page)
    box = page.locator("form[hx-post$='/act/reply/'] textarea")
    box.fill(reply)
    box.press_sequentially("。")
    page.locator("form[hx-post$='/act/reply/'] button[type=submit]").click()
    expect(page.locator(".a-title")).to_contain_text("已答复待回访")
    assert_fits(page, "item page replied")


@pytest.fixture
def org_tx(transactional_db):
    from minhu.orgs.testing import build_org

    return build_org()


def test_property_handler_works_items_on_a_phone(org_tx, new_phone_page):
    from minhu.orgs import actions as org_actions

    org = org_tx
    prop = org_actions.create_unit(
        actor=org.admin,
        name="安居物业公司",
        code="p-anju",
        kind=UnitKind.PROPERTY,
        parent=org.community1,
    )
    other = org_actions.create_unit(
        actor=org.admin,
        name="宜家物业公司",
        code="p-yijia",
        kind=UnitKind.PROPERTY,
        parent=org.community2,
    )
    make_user("wuye", prop, Role.HANDLER, display_name="安居物业客服")
    org.prop = prop
    mine = _dispatched(org, prop)
    theirs = _dispatched(org, other, "西一社区垃圾房清运不及时")

    page = new_phone_page()
    login(page, "wuye")
    page.goto(page.base + "/workbench/")
    expect(page.locator("h1")).to_contain_text("单位工作台")
    row = page.locator(f"#wb-{mine.pk}")
    expect(row).to_be_visible()
    expect(page.locator(f"#wb-{theirs.pk}")).to_have_count(0)
    assert_fits(page, "property workbench")
    screenshot(page, "phone-property-workbench")
    claim_resolve_reply(
        page,
        mine,
        outcome="电工已重新布线，楼道灯恢复照明。",
        reply="李先生您好，3号楼楼道灯线路已更换，现已恢复照明，如有问题请致电物业",
    )
    mine.refresh_from_db()
    assert mine.status == Status.REPLIED

    # Another company's item is not found, even by its address.
    response = page.goto(page.base + f"/appeals/{theirs.pk}/")
    assert response.status == 404
