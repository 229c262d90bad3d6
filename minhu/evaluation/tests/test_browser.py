import time

import pytest

from minhu.conftest import screenshot
from minhu.orgs.testing import PASSWORD

from .helpers import TEN, at, follow_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, username, password=PASSWORD):
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def _in_staff_shell(page, tab: str) -> None:
    """The page sits in the staff shell, 考核评价 is the active sidebar item, `tab` the sub-tab."""
    assert page.locator("aside.side nav a.on").inner_text().strip() == "考核评价"
    assert page.locator(".ev-subnav a.on").inner_text().strip() == tab


def test_leader_reads_dashboard_and_rankings(desk_page, org):
    t = at(2025, 3, 10, 10, 0)
    for contacted, solved, sat in TEN:
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=t)
    follow_up(org, org.street2, when=t, grid=org.grid2)
    page = desk_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, "dleader")
    page.goto(page.base + "/evaluation/?period=2025-03")
    page.wait_for_selector("#ch-day canvas")
    _in_staff_shell(page, "数据看板")
    assert page.locator(".ev-kpi").first.inner_text().strip() != ""
    assert "73.8" in page.content() or "综合得分" in page.content()
    page.goto(page.base + "/evaluation/rankings/?period=2025-03")
    _in_staff_shell(page, "考核排名")
    row = page.locator("table[data-group=street] tr[data-unit]").nth(1)
    assert "73.80" in row.inner_text()
    # The 解决率 cell (办结率 may show the same figure and links to its own rows).
    row.locator("a[href*='metric=solved']", has_text="70.00%").click()
    page.wait_for_load_state("networkidle")
    _in_staff_shell(page, "三率明细")
    assert "已解决" in page.content()
    assert page.locator("table.ev-table").nth(1).locator("tbody tr").count() == 7
    # The public red/black list stays a standalone page without the staff shell.
    page.goto(page.base + "/evaluation/public/redblack/")
    assert page.locator("aside.side").count() == 0
    assert page.locator(".ev-public h1").inner_text().strip() == "营商环境红黑榜"
    assert errors == []


def test_screenshots_of_the_demo_district(desk_page, capsys):
    """docs/screenshots/evaluation-*.png, taken on the demo district (seed 0, 300 appeals: what `minhu demo` builds)."""
    from minhu.demo import district
    from minhu.demo.builder import build_demo
    from minhu.evaluation.config import active_config
    from minhu.evaluation.periods import last_ended_period

    started = time.monotonic()
    build_demo(seed=0, appeals=300)
    built = time.monotonic() - started
    period = last_ended_period(active_config().period_start_day)
    page = desk_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, "leader", district.PASSWORD)

    page.goto(f"{page.base}/evaluation/?period={period.key}")
    page.wait_for_selector("#ch-day canvas")
    _in_staff_shell(page, "数据看板")
    total = int(page.locator(".ev-kpi b").first.inner_text())
    assert total > 0
    assert page.locator(".ev-heat-cell").count() > 0
    page.wait_for_timeout(600)  # let the ECharts entry animations finish
    screenshot(page, "evaluation-dashboard")

    page.goto(f"{page.base}/evaluation/rankings/?period={period.key}")
    _in_staff_shell(page, "考核排名")
    ranked = page.locator("table[data-group=street] tr[data-unit]")
    assert ranked.count() >= 3
    assert "已发布" in page.content()  # the demo publishes last period's rankings
    screenshot(page, "evaluation-rankings")
    assert errors == []
    with capsys.disabled():
        print(f"\n  demo district built in {built:.1f}s, {total} appeals in {period.label}")
