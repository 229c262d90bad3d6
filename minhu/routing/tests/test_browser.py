"""The routing pages in a real headless Chromium: the routing admin, the dispatch catalogue form,
and a district leader marking a hotspot as 每月一题. Saves screenshots under docs/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.conftest import screenshot
from minhu.orgs.testing import PASSWORD, build_org
from minhu.routing.models import DispatchRule, MonthlyProblem

from .helpers import days_ago, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARKING = [
    ("阳光小区停车难，车位严重不足", "阳光小区车位严重不足，晚上回家找不到停车位，希望增加车位"),
    ("阳光小区车位不足停车难", "小区停车位太少，车辆只能停在消防通道上，停车难问题严重"),
    ("反映阳光小区停车难问题", "阳光小区停车难，车位不够，物业不管，希望规划停车位"),
    ("阳光小区停车位太少", "阳光小区停车位太少了，每天晚上停车难，希望增加停车位"),
    ("阳光小区停车难何时解决", "阳光小区停车难问题一直没有解决，车位严重不足"),
]


def login(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))


def test_routing_admin_catalogue_and_hotspots(new_desk_page):
    org = build_org()
    for i, (s, d) in enumerate(PARKING):
        register(org, s, d, grid=org.grid1, created_at=days_ago(0.01 * (i + 1)))
    register(org, "东一社区路灯不亮", "东一社区门口的路灯坏了一周，晚上很黑", grid=org.grid1)

    disp = new_desk_page()
    login(disp, "dispatcher")
    disp.goto(disp.base + "/routing/")
    expect(disp.locator("h1")).to_contain_text("智能分拨")
    expect(disp.locator("body")).to_contain_text("尚未启用分类模型")
    screenshot(disp, "routing-admin")

    disp.goto(disp.base + "/routing/rules/new/")
    disp.select_option("select[name=category]", str(org.category.pk))
    disp.select_option("select[name=lead_local]", "street")
    disp.fill("input[name=note]", "路灯由属地街道负责")
    disp.click("main form.form-card button[type=submit]")
    expect(disp.locator("#rules")).to_contain_text("属地街道/镇")
    assert DispatchRule.objects.get().lead_local == "street"

    lead = new_desk_page()
    login(lead, "dleader")
    lead.goto(lead.base + "/routing/hotspots/")
    cluster = lead.locator(".rt-cluster").first
    expect(cluster).to_contain_text("阳光小区")
    expect(cluster).to_contain_text("5")
    screenshot(lead, "routing-hotspots")
    cluster.locator("summary", has_text="设为每月一题").click()
    cluster.locator("input[name=title]").fill("阳光小区停车难")
    cluster.locator("button", has_text="确定").click()
    expect(lead.locator(".rt-problems")).to_contain_text("阳光小区停车难")
    problem = MonthlyProblem.objects.get()
    assert problem.appeals.count() == 5 and problem.created_by.username == "dleader"


def test_routing_admin_shows_the_auto_dispatch_curve(new_desk_page, tmp_path):
    from django.core.management import call_command

    from .test_commands import write_csv
    from .test_operating import varied_rows

    build_org()
    call_command("route-train", "--csv", str(write_csv(tmp_path / "t.csv", varied_rows(20, 1))))
    disp = new_desk_page()
    login(disp, "dispatcher")
    disp.goto(disp.base + "/routing/")
    card = disp.locator("#auto-curve")
    expect(card).to_contain_text("自动派单：比例与准确率")
    expect(card.locator("#rt-curve canvas")).to_have_count(1)  # ECharts drew it
    expect(card.locator("#rt-targets tbody tr")).to_have_count(5)
    card.locator("#rt-curve").scroll_into_view_if_needed()
    box = card.locator("#rt-curve").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 150
    # a click on the curve's right half puts a high threshold into the settings form
    disp.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
    value = disp.locator("input[name=threshold]").input_value()
    assert value and 0.7 < float(value) <= 1.0
    screenshot(disp, "routing-admin-curve")
