"""Real headless Chromium on a 375 px phone: QR link → form with photo → code → track →
staff handle (verbs) → rate 不满意 → sent back; enterprise flow; service-hall rating."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from minhu.appeals import actions
from minhu.appeals.models import Appeal, AppellantKind, Channel, Status
from minhu.conftest import screenshot as save_screenshot
from minhu.residents.models import EnterpriseRating, ServiceRating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    """Full-page shot from the top (else the sticky bar is drawn where the page was scrolled)."""
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, name)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px phone"


def test_resident_scans_submits_tracks_and_rates(phone_page, point, org, tmp_path):
    page = phone_page
    photo = tmp_path / "road.png"
    Image.new("RGB", (640, 480), (90, 120, 160)).save(photo)

    page.goto(f"{page.base}/h5/p/{point.code}/")
    assert page.get_by_text("来自：东一社区意见征集点").is_visible()
    page.fill("#id_detail", "小区东门的路灯坏了一个星期了，晚上出门很黑，老人孩子容易摔倒。")
    page.select_option("#id_category", label="路灯照明")
    page.fill("#id_address", "幸福小区东门")
    page.set_input_files("input[name=photos]", str(photo))
    page.locator("[data-photo-preview] img").wait_for()
    # Anonymous hides the contact fields; back to named.
    page.get_by_text("匿名反映", exact=True).click()
    assert not page.locator("#id_phone").is_visible()
    page.get_by_text("留下联系方式", exact=True).click()
    page.fill("#id_name", "王女士")
    page.fill("#id_phone", "13812345678")
    no_sideways_scroll(page)
    screenshot(page, "h5-form")

    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/h5/done/\w+/$"))
    code = page.locator("[data-testid=tracking-code]").inner_text().strip()
    appeal = Appeal.objects.get(code=code)
    assert appeal.collection_point == point and appeal.channel == Channel.H5
    assert appeal.attachments.count() == 1
    assert page.get_by_text("3个工作日").count() == 1
    no_sideways_scroll(page)
    screenshot(page, "h5-success")

    # Track it from the look-up form, as on another day.
    page.goto(f"{page.base}/h5/track/")
    page.fill("#id_code", code.lower())
    page.fill("#id_phone", "13812345678")
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(rf"/h5/track/{code}/$"))
    assert page.locator("[data-testid=status]").inner_text() == "正在分派"

    # Staff handle and reply (through the verbs).
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)
    actions.contact_appellant(appeal, actor=org.s1_handler, note="电话联系王女士")
    actions.resolve(appeal, actor=org.s1_handler, outcome_kind="on_spot", outcome="更换灯泡")
    actions.reply(
        appeal, actor=org.s1_handler, text="您好，东门路灯已更换灯泡，恢复照明。感谢您的反映！"
    )

    page.reload()
    assert page.locator("[data-testid=status]").inner_text() == "已答复"
    assert page.get_by_text("东门路灯已更换灯泡").count() >= 1
    assert "东街道承办人" not in page.content()
    screenshot(page, "h5-timeline")

    page.locator("label.tile-unsatisfied").click()
    page.fill("#id_comment", "只换了一个灯泡，旁边那盏还是不亮。")
    page.locator("#rating").scroll_into_view_if_needed()
    screenshot(page, "h5-rating")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
    page.get_by_text("已退回承办单位重新办理").wait_for()
    assert page.locator("[data-testid=status]").inner_text() == "办理中"
    assert page.get_by_text("根据评价，已退回东街道重新办理").is_visible()
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1
    no_sideways_scroll(page)
    screenshot(page, "h5-rated-sent-back")


def test_errors_are_shown_inline_and_text_kept(phone_page, org, tmp_path):
    page = phone_page
    photo = tmp_path / "p.png"
    Image.new("RGB", (64, 64), (200, 80, 80)).save(photo)
    page.goto(f"{page.base}/h5/new/")
    page.fill("#id_detail", "楼道里堆满了杂物，消防通道被堵住了。")
    page.set_input_files("input[name=photos]", str(photo))
    page.fill("#id_phone", "13812")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("手机号格式不正确").wait_for()
    assert page.input_value("#id_detail") == "楼道里堆满了杂物，消防通道被堵住了。"
    assert page.get_by_text("刚才选的照片没有保留，请重新选择").is_visible()
    assert Appeal.objects.count() == 0
    no_sideways_scroll(page)
    screenshot(page, "h5-form-errors")


def test_home_page(phone_page, org):
    page = phone_page
    page.goto(f"{page.base}/h5/")
    for name in ("我要反映", "查询进度", "评价"):
        box = page.get_by_role("link", name=re.compile(name)).first.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 300  # big, thumb-sized targets
    no_sideways_scroll(page)
    screenshot(page, "h5-home")


def test_enterprise_submits_and_rates_the_department(phone_page, org):
    page = phone_page
    page.goto(f"{page.base}/h5/e/")
    page.fill("#id_enterprise_name", "连云港某某科技有限公司")
    page.fill("#id_detail", "办理施工许可时材料被反复退回，跑了三趟还没有办成。")
    page.select_option("#id_about_unit", label="区住建局")
    page.fill("#id_name", "李经理")
    page.fill("#id_phone", "13900001111")
    no_sideways_scroll(page)
    screenshot(page, "h5-enterprise-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/h5/done/\w+/$"))
    appeal = Appeal.objects.get()
    assert appeal.appellant_kind == AppellantKind.ENTERPRISE
    assert appeal.channel == Channel.ENTERPRISE and appeal.about_unit == org.dept2

    page.get_by_role("link", name="评价区住建局的服务").click()
    page.wait_for_url(re.compile(r"/h5/e/rate/"))
    assert page.input_value("#id_enterprise_name") == "连云港某某科技有限公司"
    page.locator("label.tile-basic").click()
    page.locator("fieldset.indicator").nth(0).get_by_text("不满意").click()
    page.locator("fieldset.indicator").nth(1).get_by_text("满意", exact=True).click()
    page.fill("#id_comment", "希望材料清单一次性告知。")
    no_sideways_scroll(page)
    screenshot(page, "h5-enterprise-rate")
    page.get_by_role("button", name="提交评价").click()
    page.locator("[data-testid=thanks]").wait_for()
    rating = EnterpriseRating.objects.get()
    assert rating.appeal == appeal and rating.department == org.dept2
    assert rating.indicators == {"efficiency": "unsatisfied", "attitude": "satisfied"}


def test_service_hall_scan_to_rate(phone_page, hall):
    page = phone_page
    page.goto(f"{page.base}/h5/p/{hall.code}/rate/")
    page.locator("label.tile-satisfied").click()
    page.fill("#id_window", "3号窗口")
    no_sideways_scroll(page)
    screenshot(page, "h5-service-rate")
    page.get_by_role("button", name="提交评价").click()
    page.locator("[data-testid=thanks]").wait_for()
    rating = ServiceRating.objects.get()
    assert (rating.point, rating.satisfaction, rating.window) == (hall, "satisfied", "3号窗口")


def test_poster_prints_on_a5(desk_page, point):
    page = desk_page
    page.goto(f"{page.base}/h5/qr/{point.code}/poster/")
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 0  # the SVG loads
    screenshot(page, "h5-poster")


def test_service_hall_rating_verified_by_sms_on_a_phone(phone_page, hall, settings):
    """获取验证码 → the code from the SMS → 提交评价: the rating counts (verified)."""
    from minhu.notifications.sms import MemorySMSBackend

    settings.MINHU_SMS_BACKEND = "minhu.notifications.sms.MemorySMSBackend"
    MemorySMSBackend.outbox.clear()
    page = phone_page
    page.goto(f"{page.base}/h5/p/{hall.code}/rate/")
    page.locator("label.tile-basic").click()
    page.fill("#id_phone", "139 1234 5678")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("验证码已发送至139****5678").wait_for()
    assert page.locator("label.tile-basic input").is_checked()  # the choice is kept
    code = re.search(r"\d{6}", MemorySMSBackend.outbox[-1][1]).group()
    page.fill("#id_sms_code", code)
    no_sideways_scroll(page)
    screenshot(page, "h5-service-rate-verified")
    page.locator("#id_sms_code").press("Enter")  # Enter rates; it does not send a new code
    page.locator("[data-testid=thanks]").wait_for()
    rating = ServiceRating.objects.get()
    assert (rating.satisfaction, rating.verified) == ("basic", "sms")
    assert len(MemorySMSBackend.outbox) == 1
    MemorySMSBackend.outbox.clear()
