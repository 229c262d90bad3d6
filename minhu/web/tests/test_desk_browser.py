"""The desk features as their users use them: exporting a list (a small one downloads, a large
one shows its progress page until the download is offered); caller history on intake."""

from __future__ import annotations

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from minhu.appeals import actions
from minhu.appeals.models import Channel
from minhu.web import exports

from .test_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register(org, subject: str):
    return actions.register_appeal(
        actor=org.dispatcher,
        channel=Channel.HOTLINE,
        subject=subject,
        detail=f"{subject}，请尽快处理。",
        appellant_name="李先生",
        appellant_phone="13912345678",
        grid=org.grid1,
    )


def read(download) -> list[tuple]:
    with open(download.path(), "rb") as f:
        ws = openpyxl.load_workbook(f, read_only=True).active
        return list(ws.iter_rows(values_only=True))


def test_export_a_filtered_list_and_a_large_one(org_tx, new_desk_page, monkeypatch):
    org = org_tx
    lamps = [register(org, f"幸福路路灯不亮第{i}处") for i in range(3)]
    register(org, "井盖缺失")
    page = new_desk_page()
    login(page, "g1w")  # a grid worker: phones masked
    page.goto(page.base + "/appeals/?q=路灯&sort=created_at")
    with page.expect_download() as info:
        page.locator("[data-export]").click()
    assert info.value.suggested_filename.startswith("诉求查询-")
    rows = read(info.value)
    assert [r[1] for r in rows[2:]] == [a.code for a in lamps]
    assert {r[5] for r in rows[2:]} == {"139****5678"}

    monkeypatch.setattr(exports, "INLINE_ROWS", 1)
    page.goto(page.base + "/appeals/")
    page.locator("[data-export]").click()
    expect(page.locator("#export-status")).to_have_attribute("data-status", "done", timeout=20000)
    expect(page.locator("#export-status")).to_contain_text("4 / 4")
    with page.expect_download() as info:
        page.locator("[data-download]").click()
    rows = read(info.value)
    assert len(rows) == 2 + 4
    page.goto(page.base + "/exports/")
    expect(page.locator("table.tbl tbody tr")).to_have_count(2)


def test_caller_history_appears_as_the_phone_is_typed(org_tx, new_desk_page):
    org = org_tx
    earlier = register(org, "幸福路路灯不亮")
    actions.classify(earlier, actor=org.dispatcher, category=org.category)
    page = new_desk_page()
    login(page, "dispatcher")
    page.goto(page.base + "/appeals/new/")
    page.locator("#id_appellant_phone").press_sequentially("13912345678", delay=20)
    box = page.locator("#caller-history")
    expect(box).to_contain_text("该来电人共有 1 件诉求")
    expect(box.locator(f"a:has-text('{earlier.code}')")).to_be_visible()
    expect(box.locator("[data-repeat]")).to_have_count(0)
    page.locator("#id_category").select_option(str(org.category.pk))
    expect(box.locator("[data-repeat]")).to_contain_text("重复来电")
    page.locator("#id_appellant_phone").fill("13700000000")
    page.locator("#id_appellant_phone").dispatch_event("input")
    expect(box.locator("[data-first-call]")).to_be_visible()


def test_bulk_dispatch_and_claim_by_ticking_rows(org_tx, new_desk_page, new_phone_page):
    from .test_phone import assert_fits

    org = org_tx
    first, second, third = (register(org, f"幸福路第{i}处积水") for i in range(3))
    page = new_desk_page()
    login(page, "dispatcher")
    page.goto(page.base + "/dispatch/")
    page.locator(f"input[name=ids][value='{first.pk}']").check()
    page.locator(f"input[name=ids][value='{second.pk}']").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("已选 2 条")
    page.locator("#bulk select[name=lead_unit]").select_option(str(org.street1.pk))
    page.locator("[data-bulk-submit]").click()
    expect(page.locator(".bulk-summary")).to_contain_text("成功 2 条")
    page.locator("a.btn.primary", has_text="返回列表").click()
    expect(page.locator(f"#row-{third.pk}")).to_be_visible()
    expect(page.locator(f"#row-{first.pk}")).to_have_count(0)

    # the street's handler, on a phone, claims both at once
    phone = new_phone_page()
    login(phone, "s1h")
    phone.goto(phone.base + "/workbench/?tab=claim")
    assert_fits(phone, "workbench claim tab with the bulk bar")
    phone.locator("[data-bulk-all]").check()
    expect(phone.locator("[data-bulk-count]")).to_have_text("已选 2 条")
    phone.locator("[data-bulk-submit]").click()
    expect(phone.locator(".bulk-summary")).to_contain_text("成功 2 条")
    assert_fits(phone, "bulk result")
    for a in (first, second):
        a.refresh_from_db()
        assert a.status == "in_progress"


def test_sort_by_a_column_and_save_the_view(org_tx, new_phone_page):
    from .test_phone import assert_fits

    org = org_tx
    later = register(org, "B幸福路路灯不亮")
    first = register(org, "A幸福路路灯不亮")
    register(org, "井盖缺失")
    page = new_phone_page()  # a handler in the field, on a phone
    login(page, "s1h")
    page.goto(page.base + "/appeals/?q=路灯")
    # a phone's list is cards without column headers: the sort menu of the filter bar
    page.locator(".sort-pick select").select_option("subject")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"sort=subject"))
    codes = page.locator("table.tbl tbody a.mono").all_inner_texts()
    expected = [a.code for a in sorted([first, later], key=lambda a: a.subject)]
    assert codes == expected
    page.locator("details.view-save summary").click()
    page.locator("details.view-save input[name=name]").fill("我的路灯")
    page.locator("details.view-save button[type=submit]").click()
    expect(page.locator(".view-chip.on")).to_contain_text("我的路灯")
    assert_fits(page, "appeal search with a saved view")
    page.goto(page.base + "/appeals/")
    page.locator("a[data-view=我的路灯]").click()
    expect(page).to_have_url(re.compile(r"q=%E8%B7%AF%E7%81%AF"))
    assert page.locator("table.tbl tbody a.mono").all_inner_texts() == expected


def test_leader_instructs_from_the_appeal_page_on_a_phone(org_tx, new_phone_page):
    from .test_phone import assert_fits

    org = org_tx
    appeal = register(org, "幸福路下水道堵塞返味")
    actions.classify(appeal, actor=org.dispatcher, category=org.category)
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    page = new_phone_page()
    login(page, "dleader")
    page.goto(page.base + f"/appeals/{appeal.pk}/")
    page.locator("#act-supervise summary").click()
    page.locator("#sup-reason").fill("请东街道三个工作日内疏通并答复群众。")
    page.locator("[data-action=supervise]").click()
    expect(page.locator(".sup-open")).to_contain_text("请东街道三个工作日内疏通并答复群众。")
    expect(page.locator("#act-supervise")).to_have_count(0)
    assert_fits(page, "appeal page under supervision")
