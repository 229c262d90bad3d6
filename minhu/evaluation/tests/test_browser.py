import pytest

from minhu.conftest import screenshot
from minhu.orgs.testing import PASSWORD

from .helpers import TEN, at, follow_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, username):
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


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
    assert page.locator(".ev-kpi").first.inner_text().strip() != ""
    assert "73.8" in page.content() or "综合得分" in page.content()
    screenshot(page, "evaluation-dashboard")
    page.goto(page.base + "/evaluation/rankings/?period=2025-03")
    row = page.locator("table[data-group=street] tr[data-unit]").nth(1)
    assert "73.80" in row.inner_text()
    screenshot(page, "evaluation-rankings")
    row.locator("a", has_text="70.00%").click()
    page.wait_for_load_state("networkidle")
    assert "已解决" in page.content()
    assert page.locator("table.ev-table").nth(1).locator("tbody tr").count() == 7
    assert errors == []
