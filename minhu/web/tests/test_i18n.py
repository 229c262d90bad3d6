"""English through Django i18n: the UI is Chinese by default (the msgids are Chinese) and English
comes from minhu/locale/en. Chosen by Accept-Language or by the language switcher (set_language),
for the staff web and the residents' H5 pages alike; domain errors follow the language too."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from minhu.appeals.models import Appeal, Status
from minhu.core.errors import IllegalTransition, PermissionDenied

from .conftest import HX

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "minhu" / "locale"
PO_FILES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """The .mo files are build products (`make install` compiles them, git ignores them).
    Compile here when missing or older than the .po, so the tests run from a fresh checkout."""
    stale = [
        po
        for po in PO_FILES
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["en"], verbosity=0)
        # Django caches loaded catalogues per process; drop them so the new .mo is read.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware leaves the request's language active in the thread afterwards; start and
    end every test here with none, so that English does not leak into other tests."""
    translation.deactivate()
    yield
    translation.deactivate()


def text(response) -> str:
    return response.content.decode()


def assert_english(html: str, english: list[str], chinese: list[str]) -> None:
    for s in english:
        assert s in html, f"missing English {s!r}"
    for s in chinese:
        assert s not in html, f"Chinese {s!r} still shown"


# --- the catalogue itself -------------------------------------------------------------------


def _entries(po_text: str) -> list[dict]:
    """A small .po reader: msgctxt/msgid/msgid_plural/msgstr[n] and flags, per entry."""
    entries = []
    for block in re.split(r"\n\s*\n", po_text.strip()):
        entry: dict = {"flags": "", "obsolete": False, "fields": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line):
                key = m.group(1)
                entry["fields"][key] = m.group(2)
            elif line.startswith('"') and key:
                entry["fields"][key] += line[1:-1]
        entries.append(entry)
    return entries


def test_english_catalogue_exists_for_every_app():
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.po") in PO_FILES


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(po):
    entries = _entries(po.read_text(encoding="utf-8"))
    header, messages = entries[0], entries[1:]
    assert header["fields"]["msgid"] == ""
    assert "fuzzy" not in header["flags"], "the header is still marked fuzzy"
    assert len(messages) > 500  # the staff web, the H5 pages and the domain errors
    untranslated, fuzzy = [], []
    for e in messages:
        if e["obsolete"]:
            continue
        if "fuzzy" in e["flags"]:
            fuzzy.append(e["fields"]["msgid"])
        strs = [v for k, v in e["fields"].items() if k.startswith("msgstr")]
        if not strs or any(not s for s in strs):
            untranslated.append(e["fields"]["msgid"])
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) not installed")
@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_msgfmt_counts_every_message_translated(po):
    """msgfmt --check also validates the python-format placeholders of each translation."""
    out = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.fullmatch(r"\d+ translated messages\.\s*", out), out


# --- staff web ------------------------------------------------------------------------------


def test_login_page_default_chinese_and_english_on_request(client):
    html = text(client.get(reverse("web:login")))
    assert "工作人员登录" in html and "用户名" in html and "Staff login" not in html
    assert '<html lang="zh-hans">' in html

    html = text(client.get(reverse("web:login"), **EN))
    assert_english(
        html, ["Staff login", "Username", "Password", "Log in"], ["工作人员登录", "用户名"]
    )
    assert '<html lang="en">' in html


def test_dispatch_centre_in_english(login, org, make_appeal):
    make_appeal("路灯不亮")
    client = login(org.dispatcher)
    html = text(client.get(reverse("web:dispatch"), **EN))
    assert_english(
        html,
        ["Dispatch centre", "To dispatch", "Phone intake", "Main navigation", "Log out"],
        ["电话登记", "待派单", "退出登录", "快捷键"],
    )
    # Data stays as entered.
    assert "路灯不亮" in html
    # The default is Chinese.
    html = text(client.get(reverse("web:dispatch")))
    assert "电话登记" in html and "Phone intake" not in html


def test_workbench_in_english(login, org, loop, make_appeal):
    loop.dispatched(make_appeal())
    client = login(org.s1_handler)
    html = text(client.get(reverse("web:workbench"), **EN))
    assert_english(
        html,
        ["Unit workbench", "Awaiting claim", "In progress", "Claim"],
        ["单位工作台", "待签收", "签收"],
    )


def test_appeal_page_in_english(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("路灯坏了"))
    client = login(org.s1_handler)
    html = text(client.get(reverse("web:appeal", args=[a.pk]), **EN))
    assert_english(
        html,
        ["Actions", "History", "Request extension", "Lead unit", "Handling unit", "In progress"],
        ["办理操作", "处理记录", "申请延期", "主办单位"],
    )
    assert "路灯坏了" in html


def test_language_switcher_posts_to_set_language_and_sticks(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    client = login(org.s1_handler)
    url = reverse("web:appeal", args=[a.pk])
    html = text(client.get(url))
    # The switcher in the top bar: a form posting to set_language, back to this page.
    assert f'action="{reverse("set_language")}"' in html
    assert f'name="next" value="{url}"' in html
    assert 'value="en"' in html and ">English<" in html and ">中文<" in html

    r = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert r.status_code == 302 and r["Location"] == url
    html = text(client.get(url))  # no Accept-Language: the cookie decides now
    assert "Actions" in html and "办理操作" not in html

    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    html = text(client.get(url))
    assert "办理操作" in html and "Actions" not in html


def test_domain_error_from_the_web_form_in_english(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    client = login(org.dispatcher)
    # Closing an appeal that was not replied to: an illegal transition, shown inline.
    r = client.post(reverse("web:appeal_action", args=[a.pk, "close"]), {}, **HX, **EN)
    html = text(r)
    assert "Only replied appeals can be closed" in html
    assert "只有已答复的诉求可以销号" not in html
    assert Appeal.objects.get(pk=a.pk).status == Status.IN_PROGRESS
    # The same in Chinese by default.
    r = client.post(reverse("web:appeal_action", args=[a.pk, "close"]), {}, **HX)
    assert "只有已答复的诉求可以销号" in text(r)
    # A message with a named placeholder: the field label is translated too.
    handler = login(org.s1_handler)
    r = handler.post(
        reverse("web:appeal_action", args=[a.pk, "return"]), {"reason": "不"}, **HX, **EN
    )
    assert "Reason for returning: at least 4 characters" in text(r)


def test_domain_error_messages_follow_the_active_language():
    assert IllegalTransition().message == "当前状态下不能执行此操作"
    with translation.override("en"):
        assert IllegalTransition().message == "This action is not possible in the current state"
        assert PermissionDenied().message == "You are not allowed to do this"
        # A message is fixed when raised, not when read later in another language.
        exc = IllegalTransition()
    assert exc.message == "This action is not possible in the current state"


def test_api_error_message_in_english(client, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    client.force_login(org.dispatcher)
    r = client.post(reverse("appeal-close", args=[a.pk]), {}, content_type="application/json", **EN)
    assert r.status_code == 409
    body = r.json()
    assert body["error"]["code"] == "illegal_transition"  # codes never change
    assert body["error"]["message"] == "Only replied appeals can be closed"


# --- residents' H5 pages --------------------------------------------------------------------


def test_h5_home_default_chinese_english_on_request(client, org):
    html = text(client.get(reverse("residents:home")))
    assert "我要反映" in html and "Report a problem" not in html
    html = text(client.get(reverse("residents:home"), **EN))
    assert_english(
        html,
        ["Report a problem", "Check progress", "In an emergency call 110 / 119 / 120"],
        ["我要反映", "查询进度", "紧急情况"],
    )
    assert '<html lang="en">' in html


def test_h5_form_in_english(client, org):
    html = text(client.get(reverse("residents:new"), **EN))
    assert_english(
        html,
        ["What is the problem?", "Report anonymously", "Submit", "Take a photo or choose"],
        ["遇到了什么问题", "匿名反映", "拍照或从相册选择"],
    )


def test_h5_track_in_english_and_form_errors_too(client, org):
    html = text(client.get(reverse("residents:track"), **EN))
    assert_english(html, ["Check progress", "Look up", "Tracking code"], ["查询进度", "查询码"])
    r = client.post(reverse("residents:track"), {"code": "bad", "phone": ""}, **EN)
    html = text(r)
    assert "The tracking code has 10 letters and digits" in html
    assert "查询码是10位字母和数字" not in html


def test_h5_track_detail_in_english(client, org, make_appeal):
    a = make_appeal("路灯不亮")
    r = client.post(reverse("residents:track"), {"code": a.code, "phone": a.appellant_phone}, **EN)
    html = text(client.get(r["Location"], **EN))
    assert_english(html, ["Progress", "History", "Received"], ["办理进度", "办理记录"])


def test_h5_switcher_sets_english_for_later_pages(client, org):
    html = text(client.get(reverse("residents:home")))
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="next" value="/h5/"' in html
    r = client.post(reverse("set_language"), {"language": "en", "next": "/h5/new/"})
    assert r.status_code == 302 and r["Location"] == "/h5/new/"
    html = text(client.get("/h5/new/"))
    assert "What is the problem?" in html and "遇到了什么问题" not in html


# --- in the browser: the switcher buttons ---------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_h5_switcher_round_trip(phone_page, org):
    page = phone_page
    page.goto(page.base + "/h5/new/")
    assert page.locator("h1.bar-title").inner_text() == "我要反映"
    page.get_by_role("button", name="English").click()
    page.wait_for_url(page.base + "/h5/new/")
    assert page.locator("h1.bar-title").inner_text() == "Report a problem"
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(page.base + "/h5/")  # the choice sticks (cookie) on other pages
    assert page.get_by_text("Check progress").count() == 1
    page.get_by_role("button", name="中文").click()
    page.wait_for_url(page.base + "/h5/")
    assert page.get_by_text("查询进度").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_staff_top_bar_switcher(desk_page, org):
    from minhu.orgs.testing import PASSWORD

    page = desk_page
    page.goto(page.base + "/login/")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(page.base + "/login/")
    assert page.locator(".login-card h2").inner_text() == "Staff login"
    page.fill("input[name=username]", org.dispatcher.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(page.base + "/dispatch/")
    assert page.locator(".crumbs h1").inner_text() == "Dispatch centre"
    page.locator("header.top").get_by_role("button", name="中文").click()
    page.wait_for_url(page.base + "/dispatch/")
    assert page.locator(".crumbs h1").inner_text() == "调度中心"
