"""In the browser, on phones (375 px): a resident orders a service on the H5 pages, the
community's front desk places it, the provider's handler takes it (接单) and does it from the
workbench, and the resident rates it on /h5/track/; the desk takes a phone order too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals.models import Status
from minhu.orgs.tests.test_outside_party_phone import claim_resolve_reply
from minhu.services.models import OrderStatus, ServiceOrder
from minhu.services.tests.test_services import make_shop
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RESIDENT = "13800003001"


@pytest.fixture
def org_tx(transactional_db):
    from minhu.orgs.testing import build_org

    return build_org()


def test_service_order_from_the_residents_order_to_the_rating(org_tx, new_phone_page):
    org = org_tx
    make_shop(org)
    provider, service = org.provider, org.cleaning

    # --- the resident orders on the H5 pages ------------------------------------------------
    h = new_phone_page()
    h.goto(h.base + "/h5/")
    h.get_by_role("link", name=re.compile("服务超市")).click()
    h.select_option("#f-c", "home")
    h.get_by_role("button", name="筛选").click()
    assert_fits(h, "h5 catalogue")
    h.get_by_role("link", name=re.compile("油烟机清洗")).click()
    expect(h.locator("#service")).to_contain_text("80")
    expect(h.locator("#service")).to_contain_text("2个工作日内办结")
    assert_fits(h, "h5 service")
    h.fill("#f-name", "钱女士")
    h.fill("#f-phone", RESIDENT)
    h.fill("#f-address", "幸福路1号3栋201")
    h.fill("#f-need", "厨房油烟机很久没洗了")
    h.fill("#f-when", "周六上午")
    h.get_by_role("button", name="提交点单").click()
    expect(h.locator("#order-status")).to_contain_text("待导办台确认")
    assert_fits(h, "h5 order")
    order = ServiceOrder.objects.get()

    # --- the community's front desk places it (on a phone) ----------------------------------
    c = new_phone_page()
    login(c, "c1h")
    c.goto(c.base + "/services/")
    expect(c.locator(f"#o{order.pk}")).to_contain_text("厨房油烟机很久没洗了")
    assert_fits(c, "desk")
    c.locator(f"#o{order.pk} button", has_text="确认下单").click()
    expect(c.locator(".flash-success")).to_contain_text("已下单并派发给服务方")
    order.refresh_from_db()
    item = order.item
    assert order.status == OrderStatus.PLACED and item.lead_unit_id == provider.pk
    expect(c.locator(f"#row-{order.pk}")).to_contain_text(item.code)
    assert_fits(c, "desk with the order placed")

    # --- the provider's handler takes it and does it ---------------------------------------
    p = new_phone_page()
    login(p, "lejia")  # the provider handler make_shop adds
    p.goto(p.base + "/workbench/")
    claim_resolve_reply(
        p,
        item,
        outcome="已上门拆洗油烟机，运转正常。",
        reply="钱女士您好，油烟机已清洗完毕，如有问题请致电乐家家政",
    )
    # The catalogue's management is not the provider's: no page to add services.
    p.goto(p.base + "/services/catalogue/")
    expect(p.locator("#new-service")).to_have_count(0)

    # --- the resident opens the order, follows the code and rates it -----------------------
    h.reload()
    expect(h.locator("#track-code")).to_have_text(item.code)
    h.get_by_role("link", name="查看办理进度并评价").click()
    h.fill("#id_phone", RESIDENT)
    h.get_by_role("button", name="查询", exact=True).click()
    h.wait_for_url(re.compile(rf"/h5/track/{item.code}/$"))
    expect(h.locator("body")).to_contain_text("油烟机已清洗完毕")
    h.locator("label.tile-satisfied").click()
    h.get_by_role("button", name="提交评价").click()
    h.get_by_text("感谢").first.wait_for()
    item.refresh_from_db()
    assert item.satisfaction == "satisfied"
    assert item.status in (Status.REPLIED, Status.CLOSED)

    # --- the figures, on the desk's phone ---------------------------------------------------
    c.goto(c.base + "/services/figures/")
    expect(c.locator("#by-provider")).to_contain_text("乐家家政服务公司")
    expect(c.locator("#by-provider")).to_contain_text("100.00%")
    assert_fits(c, "figures")

    # --- a phone order at the desk ----------------------------------------------------------
    c.goto(c.base + "/services/")
    form = c.locator("form[action$='/services/take/']")
    if not form.is_visible():
        c.locator("#take summary").click()
    form.locator("select[name=service]").select_option(str(service.pk))
    form.locator("input[name=name]").fill("孙大爷")
    form.locator("input[name=phone]").fill("13800003002")
    form.locator("input[name=address]").fill("幸福路2号")
    form.locator("textarea[name=need]").fill("油烟机有异响")
    form.locator("button[type=submit]").click()
    expect(c.locator(".flash-success")).to_contain_text("已下单并派发给服务方")
    assert ServiceOrder.objects.filter(channel="phone", status="placed").count() == 1
    assert service.orders.count() == 2
