"""The visit form at 375 px, driven in headless Chromium: online with two problems (one solved
on the spot, one in the dispatch centre's queue) and offline (queued, uploaded once)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from minhu.appeals.models import Appeal
from minhu.conftest import screenshot
from minhu.visits.models import Assignment, AssignmentState, Visit, VisitPhoto
from minhu.web.tests.test_browser import login
from minhu.web.tests.test_phone import assert_fits

from .factories import build_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 60)).save(buf, "JPEG")
    return buf.getvalue()


def test_visit_with_two_problems_on_a_phone(org_tx, new_phone_page, new_desk_page):
    org = org_tx
    c = build_campaign(org)
    h = c.hh1[0]
    page = new_phone_page()
    login(page, c.v1.username)
    page.goto(page.base + f"/visits/c/{c.campaign.pk}/")
    assert_fits(page, "visitor list")
    page.fill("input[name=q]", h.address)
    page.click("form.filters button")
    page.click(f"a[data-household='{h.pk}']")
    assert_fits(page, "visit form")
    page.check("input[name=outcome][value=visited]")
    page.fill("#q0", "家里都好")
    page.fill("#p0_text", "楼道灯坏了好几天")
    page.check("input[name=p0_on_spot]")
    page.fill("#p0_solution", "当场联系物业更换了灯泡")
    page.set_input_files(
        "#p0_photos", files=[{"name": "灯.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    page.click("details[data-slot='1'] summary")
    page.select_option("#p1_domain", "security")
    page.fill("#p1_text", "小区门口夜里经常有人飙车")
    screenshot(page, "phone-visit-form")
    page.click("#save-visit")
    expect(page.locator("#saved")).to_be_visible()
    v = Visit.objects.get()
    assert v.visitor == c.v1 and v.answers == {c.campaign.questions[0]: "家里都好"}
    on_spot, loop = v.problems.order_by("id")
    assert on_spot.appeal is None and loop.appeal is not None
    assert VisitPhoto.objects.filter(problem=on_spot).count() == 1
    # The household left the open list; its page shows the item's progress.
    expect(page.locator(f"a[data-household='{h.pk}']")).to_have_count(0)
    page.goto(page.base + f"/visits/c/{c.campaign.pk}/h/{h.pk}/")
    expect(page.locator("#history")).to_contain_text("待派单")
    # The dispatch centre sees the second problem in its queue.
    desk = new_desk_page()
    login(desk, org.dispatcher.username)
    desk.goto(desk.base + "/dispatch/?tab=new")
    expect(desk.locator("body")).to_contain_text("小区门口夜里经常有人飙车")
    expect(desk.locator("body")).not_to_contain_text("楼道灯坏了好几天")
    # The admin's pages fit a phone too.
    admin = new_phone_page()
    login(admin, org.admin.username)
    for path in (
        "/visits/",
        f"/visits/c/{c.campaign.pk}/coverage/",
        f"/visits/c/{c.campaign.pk}/coverage/?level=visitor",
        f"/visits/c/{c.campaign.pk}/ledger/problems/",
        f"/visits/c/{c.campaign.pk}/ledger/visits/",
        f"/visits/c/{c.campaign.pk}/manage/",
        "/visits/new/",
        "/visits/domains/",
    ):
        assert admin.goto(admin.base + path).status == 200, path
        assert_fits(admin, path)
    admin.goto(admin.base + f"/visits/c/{c.campaign.pk}/coverage/?level=visitor")
    expect(admin.locator("#coverage")).to_contain_text("东街道承办人")
    screenshot(admin, "phone-visit-coverage")


def test_visit_recorded_offline_uploads_once(org_tx, browser, live_server):
    org = org_tx
    c = build_campaign(org)
    h = c.hh1[2]  # v1's second household
    ctx = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
    )
    page = ctx.new_page()
    page.base = live_server.url
    login(page, c.v1.username)
    form_url = page.base + f"/visits/c/{c.campaign.pk}/h/{h.pk}/"
    page.goto(form_url)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now controlled by the service worker, which keeps a copy of the page
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.goto(page.base + f"/visits/c/{c.campaign.pk}/")
    ctx.set_offline(True)
    # No network: the service worker opens the form from its copy.
    page.goto(form_url)
    expect(page.locator("#visit-form")).to_be_visible()
    page.check("input[name=outcome][value=visited]")
    page.fill("#p0_text", "门前道路坑洼下雨积水")
    page.set_input_files(
        "#p0_photos", files=[{"name": "路.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    page.click("#save-visit")
    expect(page.locator("#visit-error")).to_contain_text("已离线保存")
    expect(page.locator("#queue-status")).to_contain_text("1 条走访记录待上传")
    assert_fits(page, "offline form")
    screenshot(page, "phone-visit-offline")
    assert Visit.objects.count() == 0
    # Back online: the queue uploads by itself, once.
    ctx.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-status")).to_be_hidden()
    assert Visit.objects.count() == 1
    assert Appeal.objects.filter(kind="visit_problem").count() == 1
    assert VisitPhoto.objects.count() == 1
    assert Appeal.objects.get(kind="visit_problem").attachments.count() == 1
    assert Assignment.objects.get(campaign=c.campaign, household=h).state == AssignmentState.DONE
    # Re-sending the same stored upload (a retry after a lost answer) creates nothing.
    again = page.evaluate(
        """async () => {
            const fd = new FormData(document.getElementById('visit-form'));
            return fd.get('client_id');
        }"""
    )
    assert again  # the form has a fresh id for the next household
    v = Visit.objects.get()
    status = page.evaluate(
        """async ([url, cid]) => {
            const fd = new FormData();
            fd.append('client_id', cid); fd.append('outcome', 'visited');
            fd.append('csrfmiddlewaretoken', document.querySelector('[name=csrfmiddlewaretoken]').value);
            const r = await fetch(url, {method: 'POST', body: fd, headers: {'Accept': 'application/json'}});
            return r.status;
        }""",
        [page.url, str(v.client_id)],
    )
    assert status == 200
    assert Visit.objects.count() == 1
    ctx.close()
