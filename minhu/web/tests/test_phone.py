"""Staff pages on a phone (375 px): every page a handler, grid worker, community handler,
department, callback operator or dispatcher uses fits the screen without sideways scrolling;
the sidebar is a menu; lists are cards; progress and resolution photos open the camera.

Saves docs/screenshots/phone-workbench.png and phone-appeal-page.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel
from minhu.conftest import screenshot

from .test_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 375
LONG_SHARE = (
    "已报到。我局已安排城管执法中队负责人带队到现场核实，对占道经营和违规搭建进行登记，"
    "本周内联合街道开展集中整治，并每日安排队员巡查，防止反弹，整治结果将书面反馈街道。"
)


def register(org, subject: str, *, grid=None, detail: str | None = None) -> Appeal:
    return actions.register_appeal(
        actor=org.dispatcher,
        channel=Channel.HOTLINE,
        subject=subject,
        detail=detail
        or f"{subject}。居民反映这个问题已经持续了很长时间，影响日常生活，希望有关部门尽快处理。",
        appellant_name="李先生",
        appellant_phone="13912345678",
        grid=grid or org.grid1,
        address="东一社区幸福路18号院东门北侧",
    )


def loop_data(org) -> dict[str, Appeal]:
    """Appeals in the states the field staff's pages list."""
    disp = org.dispatcher
    new = register(org, "幸福路人行道井盖缺失存在安全隐患")
    pending = register(org, "小区门口路灯坏了一周晚上出行不便")
    actions.classify(pending, actor=disp, category=org.category)
    actions.dispatch(pending, actor=disp, lead_unit=org.street1, assist_units=[org.dept1])
    working = register(org, "幸福路早市占道经营垃圾遍地无人清理")
    actions.classify(working, actor=disp, category=org.category, urgency="urgent")
    actions.dispatch(working, actor=disp, lead_unit=org.street1)
    actions.claim(working, actor=org.s1_handler)
    actions.add_progress(working, actor=org.s1_handler, note="已到现场查看，正在联系市场管理方。")
    actions.blow_whistle(
        working,
        actor=org.s1_leader,
        departments=[org.dept1, org.dept2],
        reason="占道经营涉及城管执法和违规搭建，街道无法单独处置，请城管局、住建局到现场共同研究。",
    )
    actions.report_summons(working, actor=org.d1_handler, share=LONG_SHARE)
    community = register(org, "东一社区3号楼楼道堆放杂物堵塞消防通道")
    actions.classify(community, actor=disp, category=org.category)
    actions.dispatch(community, actor=disp, lead_unit=org.community1)
    replied = register(org, "幸福路下水道堵塞返味")
    actions.classify(replied, actor=disp, category=org.category)
    actions.dispatch(replied, actor=disp, lead_unit=org.street1)
    actions.claim(replied, actor=org.s1_handler)
    actions.resolve(replied, actor=org.s1_handler, outcome_kind="on_spot", outcome="已安排疏通完毕")
    actions.reply(replied, actor=org.s1_handler, text="您好，下水道已经疏通，感谢您的反映。")
    return {
        "new": new,
        "pending": pending,
        "working": working,
        "community": community,
        "replied": replied,
    }


def assert_fits(page, what: str) -> None:
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
        )
        pytest.fail(f"{what}: scrollWidth {width} > {WIDTH} ({wide})")
    assert page.evaluate("document.documentElement.clientWidth") <= WIDTH


def visit_all(page, paths: list[str], who: str) -> None:
    for path in paths:
        response = page.goto(page.base + path)
        assert response.status == 200, f"{who} {path}: {response.status}"
        assert_fits(page, f"{who} {path}")


def test_field_staff_pages_fit_a_phone(org_tx, new_phone_page):
    org = org_tx
    a = loop_data(org)
    work = f"/appeals/{a['working'].pk}/"
    wb_tabs = [
        f"/workbench/?tab={t}"
        for t in ("claim", "progress", "reply", "due_soon", "overdue", "returned", "summoned")
    ]
    pages = {
        # street handler: workbench tabs, search, intake, appeal pages, notifications
        "s1h": [
            *wb_tabs,
            "/appeals/",
            "/appeals/?q=幸福路",
            "/appeals/new/",
            work,
            f"/appeals/{a['pending'].pk}/",
            f"/appeals/{a['replied'].pk}/",
            "/notifications/",
            "/exports/",
        ],
        # community handler
        "c1h": [
            "/workbench/",
            "/workbench/?tab=progress",
            "/appeals/",
            "/appeals/new/",
            f"/appeals/{a['community'].pk}/",
            "/notifications/",
        ],
        # grid worker: registers on the spot and follows their grid's appeals
        "g1w": ["/appeals/", "/appeals/new/", f"/appeals/{a['new'].pk}/", "/notifications/"],
        # a summoned department
        "d1h": ["/workbench/?tab=summoned", "/workbench/?tab=claim", work, "/notifications/"],
        # the callback operator's queue and the dispatcher's tabs
        "callback": ["/follow-up/", "/follow-up/?tab=close", f"/appeals/{a['replied'].pk}/"],
        "dispatcher": [
            "/dispatch/",
            "/dispatch/?tab=returned",
            "/dispatch/?tab=dispatched",
            "/dispatch/?tab=escalated",
            "/dispatch/?tab=extensions",
        ],
    }
    for username, paths in pages.items():
        page = new_phone_page()
        login(page, username)
        visit_all(page, paths, username)
        page.context.close()


def test_phone_menu_cards_and_camera(org_tx, new_phone_page):
    org = org_tx
    a = loop_data(org)
    page = new_phone_page()
    login(page, "s1h")
    page.goto(page.base + "/workbench/?tab=progress")
    # The sidebar is hidden; the menu button opens it over the page, and its links work.
    side = page.locator("#side")
    expect(side).to_be_hidden()
    page.locator("[data-nav-open]").click()
    expect(side).to_be_visible()
    assert side.bounding_box()["width"] <= WIDTH
    assert_fits(page, "menu open")
    page.locator("#side [data-nav-close]").click()
    expect(side).to_be_hidden()
    page.locator("[data-nav-open]").click()
    side.locator("a[data-nav=appeals]").click()
    expect(page.locator("h1")).to_have_text("诉求查询")
    page.goto(page.base + "/workbench/?tab=progress")

    # Lists are cards: no table header, each row a block the width of the screen.
    expect(page.locator("table.tbl thead").first).to_be_hidden()
    row = page.locator(f"#wb-{a['working'].pk}")
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    assert box["height"] > 40  # the cells flow on several lines, not one character per line
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "phone-workbench")

    # The appeal page: content, then the actions, the history last; the whistle table fits.
    row.locator("a.mono").click()
    expect(page.locator("#actions")).to_be_visible()
    assert_fits(page, "appeal page")
    content_y = page.locator(".a-content").bounding_box()["y"]
    actions_y = page.locator("#actions").bounding_box()["y"]
    timeline_y = page.locator(".a-timeline").bounding_box()["y"]
    assert content_y < actions_y < timeline_y
    summons = page.locator(".summons").filter(has_text="区城管局")
    expect(summons).to_contain_text(LONG_SHARE)
    assert summons.bounding_box()["width"] <= WIDTH

    # Progress and resolution photos: the file inputs ask a phone for its rear camera.
    for action in ("progress", "resolve"):
        picker = page.locator(f"form[action$='/act/{action}/'] input[type=file]")
        expect(picker).to_have_attribute("accept", "image/*")
        expect(picker).to_have_attribute("capture", "environment")
    # ... and a photo taken with it is uploaded with the progress note.
    page.locator("details.act", has_text="办理进展").locator("summary").click()
    form = page.locator("form[action$='/act/progress/']")
    form.locator("textarea[name=note]").fill("清理完一半，明早继续。")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": _png()}]
    )
    form.locator("button[type=submit]").click()
    expect(page.locator(".thumbs img")).to_have_count(1)
    assert_fits(page, "appeal page after progress")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "phone-appeal-page")


def test_whistle_table_keeps_the_desk_page_width(org_tx, desk_page):
    """At 1366 px the 吹哨报到 block with sentence-long shares stays inside the page."""
    org = org_tx
    a = loop_data(org)
    page = desk_page
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "s1h")
    page.goto(page.base + f"/appeals/{a['working'].pk}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    dept = page.locator(".summons").filter(has_text="区城管局").locator(".summons-head b")
    # The department's name on one line (not one character per line).
    box = dept.bounding_box()
    assert box["height"] < 30 and box["width"] > 40


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_printed_work_order(org_tx, desk_page):
    """打印工单: in print media the sidebar, top bar and forms are gone, the whole record stays,
    and the QR code of the tracking page is on the sheet."""
    org = org_tx
    a = loop_data(org)
    page = desk_page
    login(page, "s1h")
    page.goto(page.base + f"/appeals/{a['working'].pk}/")
    expect(page.locator("[data-print]")).to_be_visible()
    expect(page.locator(".print-qr")).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator(".side")).to_be_hidden()
    expect(page.locator(".top")).to_be_hidden()
    expect(page.locator("#actions")).to_be_hidden()
    expect(page.locator(".print-qr svg")).to_be_visible()
    expect(page.locator(".a-timeline")).to_be_visible()
    expect(page.locator(".summons").first).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
