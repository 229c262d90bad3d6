"""The Content-Security-Policy (issue 14 item 10): every answer carries it, no template needs an
inline script or style to work, and the pages run under it in a real Chromium without one
violation (the browser fixtures of minhu/conftest.py fail any test on a violation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from minhu.conftest import REPO_ROOT
from minhu.orgs.testing import PASSWORD

TEMPLATES = sorted((REPO_ROOT / "minhu").glob("**/templates/**/*.html"))
STATIC_JS = [p for p in (REPO_ROOT / "minhu").glob("**/static/**/*.js") if "vendor" not in p.parts]

# What the policy blocks in markup: <style> elements, style="" attributes, on*="" handlers,
# javascript: URLs and <script> elements without src (JSON data blocks are not run).
INLINE = {
    "<style> element": re.compile(r"<style[\s>]", re.I),
    'style="" attribute': re.compile(r"""\sstyle\s*=\s*["']""", re.I),
    'on*="" handler': re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "inline <script>": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=[\"']application/(?:ld\+)?json)[^>]*>", re.I
    ),
}


def inline_uses(text: str) -> list[str]:
    return [name for name, rx in INLINE.items() if rx.search(text)]


def test_the_scan_finds_each_kind_of_inline_code():
    for bad in (
        "<style>p{}</style>",
        '<p style="color:red">',
        "<select onchange='this.form.submit()'>",
        '<a href="javascript:history.back()">',
        "<script>alert(1)</script>",
    ):
        assert inline_uses(bad), bad
    for good in (
        '<script src="/static/web/app.js" defer></script>',
        '<script id="d" type="application/json">{}</script>',
        '<p class="onboarding" data-style="x">',
        '<span data-width="40"></span>',
    ):
        assert not inline_uses(good), good


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_template_has_inline_script_or_style(path: Path):
    assert TEMPLATES, "no templates found"
    assert inline_uses(path.read_text(encoding="utf-8")) == []


def test_no_script_builds_style_attributes_or_evaluates_strings():
    for path in STATIC_JS:
        text = path.read_text(encoding="utf-8")
        for rx in (r"setAttribute\(\s*[\"']style", r"\beval\(", r"new Function\("):
            assert not re.search(rx, text), f"{path}: {rx}"


def test_the_policy_forbids_inline_code():
    d = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for directive in ("default-src", "script-src", "style-src"):
        assert d[directive] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/h5/", "/api/v1/", "/no-such-page/", "/healthz"])
def test_every_answer_carries_the_policy(client, url):
    header = client.get(url).headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in header and "style-src 'self'" in header
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_the_429_and_500_pages_use_the_stylesheet(rf):
    from django.template.loader import render_to_string

    for name in ("429.html", "500.html", "503.html", "404.html", "403.html"):
        html = render_to_string(name, {"minutes": 10, "message": "x", "code": "y"})
        assert "/static/errors.css" in html and not inline_uses(html), name


# --- in Chromium -------------------------------------------------------------------------------


def _login(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))


STAFF_PAGES = {
    "admin": [
        "/manage/units/",
        "/manage/categories/",
        "/manage/users/",
        "/manage/time-limits/",
        "/manage/calendar/",
        "/manage/points/",
        "/routing/",
        "/routing/rules/",
        "/admin/",
        "/admin/orgs/unit/",
        "/api/docs/",
    ],
    "dispatcher": ["/", "/dispatch/", "/appeals/", "/appeals/new/", "/follow-up/"],
    "dleader": [
        "/overview/",
        "/evaluation/",
        "/evaluation/evaluations/",
        "/evaluation/rankings/",
        "/evaluation/supervision/",
        "/evaluation/interviews/",
        "/registry/",
        "/visits/",
        "/consultation/",
        "/deputies/",
        "/surveys/",
    ],
    "s1h": ["/workbench/", "/account/password/"],
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_under_the_policy(org, new_desk_page):
    """Staff pages with htmx and ECharts, the admin, the API docs and the error pages: any
    violation fails the test when its browser context closes."""
    from minhu.appeals import actions
    from minhu.appeals.models import Channel

    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save(update_fields=["is_staff", "is_superuser"])
    appeal = actions.register_appeal(
        actor=None,
        channel=Channel.H5,
        subject="路灯不亮",
        detail="东一社区3号楼前路灯不亮一周了",
        appellant_name="王女士",
        appellant_phone="13812345678",
        grid=org.grid1,
    )
    seen = {}
    for username, urls in STAFF_PAGES.items():
        page = new_desk_page()
        _login(page, username)
        for url in [*urls, f"/appeals/{appeal.pk}/", "/appeals/99999999/"]:
            response = page.goto(page.base + url)
            page.wait_for_load_state("networkidle")
            seen[(username, url)] = response.status
    assert seen[("dispatcher", "/dispatch/")] == 200
    assert seen[("dleader", "/evaluation/")] == 200  # ECharts draws under the policy
    assert seen[("admin", "/api/docs/")] == 200
    assert seen[("dispatcher", "/appeals/99999999/")] == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_residents_pages_and_the_429_page_run_under_the_policy(org, phone_page, settings):
    from minhu.appeals.models import CollectionPoint

    hall = CollectionPoint.objects.create(
        name="区政务服务大厅", code="hall", unit=org.district, is_service_hall=True
    )
    for url in [
        "/h5/",
        "/h5/new/",
        "/h5/track/",
        "/h5/e/",
        "/h5/e/rate/",
        f"/h5/p/{hall.code}/rate/",
    ]:
        assert phone_page.goto(phone_page.base + url).status == 200
    page = phone_page
    _login(page, "s1h")
    settings.MINHU_RATE_LIMITS = {"staff_page": (1, 600)}  # the page after sign-in used it up
    response = page.goto(page.base + "/workbench/")
    assert response.status == 429 and "请求过于频繁" in page.content()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_watch_reports_a_violation(org, desk_page):
    """The fixtures' watch is real: an inline style set on a page is refused and reported."""
    desk_page.goto(desk_page.base + "/login/")
    desk_page.evaluate("document.body.setAttribute('style', 'color: red')")
    desk_page.wait_for_timeout(300)
    ctx = desk_page.context
    assert any("style-src" in v for v in ctx._minhu_csp), ctx._minhu_csp
    ctx._minhu_csp.clear()  # seen: do not fail this test at teardown
