"""Issue 14 item 5: sign-ins throttled and locked out (page, API token endpoint), an audited
unlock by an administrator, and a page to change one's own password that ends the user's
other sessions and API tokens."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from minhu.core.errors import PermissionDenied
from minhu.core.models import ConfigChange
from minhu.orgs import actions
from minhu.orgs.testing import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def _login(client, username, password, addr="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=addr)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, org):
    for _ in range(5):
        r = _login(client, "s1h", "wrong-guess")
        assert r.status_code == 200 and "_auth_user_id" not in client.session
    r = _login(client, "s1h", PASSWORD)
    assert r.status_code == 429
    assert "登录失败次数过多" in r.content.decode() and "解锁" in r.content.decode()
    assert "_auth_user_id" not in client.session
    # from another address too (the lock is on the account) ...
    assert _login(Client(), "s1h", PASSWORD, addr="10.9.9.9").status_code == 429
    # ... and through the API token endpoint
    r = APIClient().post(
        "/api/v1/auth/token/", {"username": "s1h", "password": PASSWORD}, REMOTE_ADDR="10.9.9.8"
    )
    assert r.status_code == 429 and r.json()["error"]["code"] == "login_locked"
    # other accounts are not affected
    assert _login(Client(), "dispatcher", PASSWORD).status_code == 302


def test_unknown_names_are_locked_the_same_way(client, org):
    for _ in range(5):
        _login(client, "nobody-here", "x")
    assert _login(client, "nobody-here", "x").status_code == 429


def test_one_address_cannot_walk_through_user_names(client, org, settings):
    settings.MINHU_RATE_LIMITS = {"login_ip": (6, 900)}
    for i in range(6):
        _login(client, f"guess{i}", "x", addr="10.1.1.1")
    r = _login(client, "dispatcher", PASSWORD, addr="10.1.1.1")
    assert r.status_code == 429 and "此网络地址" in r.content.decode()
    assert _login(Client(), "dispatcher", PASSWORD, addr="10.1.1.2").status_code == 302


def test_a_success_clears_the_count(client, org):
    for _ in range(4):
        _login(client, "s1h", "wrong")
    assert _login(client, "s1h", PASSWORD).status_code == 302
    c = Client()
    for _ in range(4):
        _login(c, "s1h", "wrong")
    assert _login(c, "s1h", PASSWORD).status_code == 302


def test_admin_unlocks_on_the_user_page_and_it_is_audited(client, org):
    for _ in range(5):
        _login(Client(), "s1h", "wrong")
    assert actions.login_locked(org.s1_handler)
    admin = Client()
    admin.force_login(org.admin)
    page = admin.get(reverse("web:manage_user", args=[org.s1_handler.pk])).content.decode()
    assert "解除登录锁定" in page
    r = admin.post(reverse("web:manage_user", args=[org.s1_handler.pk]), {"op": "unlock"})
    assert r.status_code == 302
    assert not actions.login_locked(org.s1_handler)
    change = ConfigChange.objects.filter(model="orgs.user", object_id=org.s1_handler.pk).last()
    assert change.changes == {"login_locked": [True, False]} and change.actor == org.admin
    assert _login(client, "s1h", PASSWORD).status_code == 302
    # a non-admin cannot unlock
    with pytest.raises(PermissionDenied):
        actions.unlock_login(org.s1_handler, actor=org.s1_handler)


def test_admin_unlocks_through_the_api(org):
    for _ in range(5):
        _login(Client(), "s1h", "wrong")
    admin = APIClient()
    admin.force_authenticate(org.admin)
    url = f"/api/v1/users/{org.s1_handler.pk}/"
    assert admin.get(url).json()["login_locked"] is True
    other = APIClient()
    other.force_authenticate(org.s1_leader)
    assert other.post(url + "unlock/").status_code == 403  # admins only
    assert actions.login_locked(org.s1_handler)
    r = admin.post(url + "unlock/")
    assert r.status_code == 200 and r.json() == {"unlocked": True, "login_locked": False}
    assert admin.get(url).json()["login_locked"] is False
    change = ConfigChange.objects.filter(model="orgs.user", object_id=org.s1_handler.pk).last()
    assert change.changes == {"login_locked": [True, False]} and change.actor == org.admin
    assert _login(Client(), "s1h", PASSWORD).status_code == 302
    # not locked: nothing to do, nothing recorded
    before = ConfigChange.objects.count()
    assert admin.post(url + "unlock/").json() == {"unlocked": False, "login_locked": False}
    assert ConfigChange.objects.count() == before
    assert admin.post("/api/v1/users/99999999/unlock/").status_code == 404


def test_change_own_password_ends_other_sessions_and_tokens(org):
    here, elsewhere = Client(), Client()
    assert _login(here, "s1h", PASSWORD).status_code == 302
    assert _login(elsewhere, "s1h", PASSWORD).status_code == 302
    token = APIClient().post("/api/v1/auth/token/", {"username": "s1h", "password": PASSWORD})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get("/api/v1/appeals/").status_code == 200
    url = reverse("web:change_password")
    assert "修改我的密码" in here.get(url).content.decode()

    # wrong current password, weak and mismatched new ones: refused in Chinese
    bad = here.post(
        url,
        {"old_password": "no", "new_password": "Xk93-fresh-pw", "new_password2": "Xk93-fresh-pw"},
    )
    assert bad.status_code == 400 and "当前密码不正确" in bad.content.decode()
    weak = here.post(
        url, {"old_password": PASSWORD, "new_password": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 400 and "密码不能全是数字" in weak.content.decode()
    odd = here.post(
        url, {"old_password": PASSWORD, "new_password": "Xk93-fresh-pw", "new_password2": "other"}
    )
    assert odd.status_code == 400 and "两次输入的密码不一致" in odd.content.decode()

    ok = here.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password": "Xk93-fresh-pw",
            "new_password2": "Xk93-fresh-pw",
        },
        follow=True,
    )
    assert ok.status_code == 200 and "密码已修改" in ok.content.decode()
    assert here.get(reverse("web:notifications")).status_code == 200  # still signed in here
    assert elsewhere.get(reverse("web:notifications")).status_code == 302  # signed out there
    assert api.get("/api/v1/appeals/").status_code == 401
    org.s1_handler.refresh_from_db()
    assert org.s1_handler.check_password("Xk93-fresh-pw")
    assert ConfigChange.objects.filter(
        model="orgs.user", object_id=org.s1_handler.pk, actor=org.s1_handler
    ).exists()


def test_guessing_the_current_password_counts_as_failed_sign_ins(org):
    c = Client()
    c.force_login(org.s1_handler)
    url = reverse("web:change_password")
    for _ in range(5):
        c.post(
            url,
            {
                "old_password": "guess",
                "new_password": "Xk93-fresh-pw",
                "new_password2": "Xk93-fresh-pw",
            },
        )
    r = c.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password": "Xk93-fresh-pw",
            "new_password2": "Xk93-fresh-pw",
        },
    )
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode()
