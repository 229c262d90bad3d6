"""Fixtures shared by every app's tests."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself (setting up data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT.parent / "shared" / "bench"
SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("MINHU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--lang=zh-CN",
]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs ~0.4 s per user; tests build a dozen users each. MD5 is fine for tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _static_files_from_the_apps():
    """The browser tests' live server serves the static files from the app directories, as
    runserver does. pytest-django adds its static handler only when INSTALLED_APPS names
    django.contrib.staticfiles (ours is minhu.core.apps.StaticFilesConfig), so whitenoise
    serves them through the finders instead of an (empty) collectstatic directory."""
    from django.conf import settings as django_settings

    django_settings.WHITENOISE_USE_FINDERS = True
    django_settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    """Rate-limit counters live in the cache, keyed by user id or address, which the next
    test reuses: start every test with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Django keeps the last request's language active in the thread: start each test in the
    default language (Simplified Chinese) whatever ran before."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_duplicate_index():
    """The duplicate search's per-process index of open appeals outlives a test's rolled-back
    transaction (and SQLite reuses the ids): start each test with an empty one."""
    from minhu.routing.duplicates import open_index

    open_index.clear()


@pytest.fixture(autouse=True)
def _jobs_run_inline(request, settings):
    """Jobs run in-process after commit in every test, on PostgreSQL too, so that a test sees
    what the worker would have done (routing after intake, ...). Tests of the queue itself are
    marked `queue` and keep the configured backend (procrastinate on PostgreSQL)."""
    if request.node.get_closest_marker("queue") is None:
        settings.MINHU_JOBS = "inline"


@pytest.fixture
def org(db):
    from minhu.orgs.testing import build_org

    return build_org()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (make test does this)")
    from playwright.sync_api import expect

    # The 2-core CI machine is busy: give assertions the same patience as actions.
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# Chromium reports every Content-Security-Policy violation on the console ("Refused to ...
# because it violates the following Content Security Policy directive"); the page's
# `securitypolicyviolation` event is logged too, with the blocked URI and line.
CSP_WATCH = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});"""


def _context(browser, **kwargs):
    """A browser context whose pages fail the test on any CSP violation (at teardown)."""
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs)
    ctx.set_default_timeout(15_000)
    ctx._minhu_csp = []
    ctx.add_init_script(CSP_WATCH)

    def watch(msg):
        text = msg.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            ctx._minhu_csp.append(f"{msg.page.url if msg.page else '?'}: {text}")

    ctx.on("console", watch)
    return ctx


def _close(*contexts) -> None:
    """Close contexts; fail if any of their pages broke the Content-Security-Policy."""
    found = [v for ctx in contexts for v in ctx._minhu_csp]
    for ctx in contexts:
        ctx.close()
    if found:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found[:20]))


@pytest.fixture
def desk_page(browser, live_server):
    """A desktop browser tab (1440×900). `desk_page.base` is the live server's URL."""
    ctx = _context(browser, viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.base = live_server.url
    yield page
    _close(ctx)


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized tab (375×740, touch), for residents' H5 pages."""
    ctx = _context(
        browser,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = ctx.new_page()
    page.base = live_server.url
    yield page
    _close(ctx)


PHONE_VIEWPORT = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _tab_factory(browser, live_server, **ctx_kwargs):
    """Yields a function that opens a tab in a new browser context (its own session)."""
    contexts = []

    def make():
        ctx = _context(browser, **ctx_kwargs)
        contexts.append(ctx)
        page = ctx.new_page()
        page.base = live_server.url
        return page

    yield make
    _close(*contexts)


@pytest.fixture
def new_desk_page(browser, live_server):
    """Factory for more desktop tabs, each with its own session (one per role)."""
    yield from _tab_factory(browser, live_server, viewport={"width": 1440, "height": 900})


@pytest.fixture
def new_phone_page(browser, live_server):
    """Factory for phone tabs (375×812, touch, 2× pixels), each with its own session: staff
    pages used in the field must fit them."""
    yield from _tab_factory(browser, live_server, device_scale_factor=2, **PHONE_VIEWPORT)


def screenshot(page, name: str) -> Path:
    """Save a screenshot under docs/screenshots/ (the README shows them)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
