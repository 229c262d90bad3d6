"""Issue 14 item 5 in the browser: a handler on a phone changes their own password from the
user menu (375 px, no sideways scrolling); the lockout message on the sign-in page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minhu.conftest import screenshot
from minhu.orgs.testing import PASSWORD

from .test_browser import login
from .test_phone import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_handler_changes_own_password_on_a_phone(org, new_phone_page):
    page = new_phone_page()
    login(page, "s1h")
    page.goto(page.base + "/account/password/")
    assert_fits(page, "change password")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password]", "12345678")
    page.fill("input[name=new_password2]", "12345678")
    page.click("form.form-card button[type=submit]")
    expect(page.locator(".err").first).to_contain_text("密码不能全是数字")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password]", "Lamp-fix-2026")
    page.fill("input[name=new_password2]", "Lamp-fix-2026")
    page.click("form.form-card button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("密码已修改")
    assert_fits(page, "change password done")
    screenshot(page, "phone-change-password")
    org.s1_handler.refresh_from_db()
    assert org.s1_handler.check_password("Lamp-fix-2026")


def test_lockout_message_on_the_sign_in_page(org, new_phone_page):
    page = new_phone_page()
    for _ in range(6):
        page.goto(page.base + "/login/")
        page.fill("input[name=username]", "s1h")
        page.fill("input[name=password]", "guess-guess")
        page.click("button[type=submit]")
    expect(page.locator(".form-error")).to_contain_text("登录失败次数过多")
    assert_fits(page, "login locked")
