"""Issue 14 item 5 (part): weak passwords refused; an admin's reset and a reactivation revoke
API tokens."""

import pytest
from rest_framework.test import APIClient

from minhu.core.errors import InvalidInput
from minhu.orgs import actions
from minhu.orgs.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password, problem",
    [
        ("12345678", "密码不能全是数字"),
        ("password", "密码过于常见"),
        ("qwertyuiop", "密码过于常见"),
        ("zhangwei2026", "密码与用户信息过于相似"),
    ],
)
def test_weak_passwords_are_refused(org, password, problem):
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(
            actor=org.admin,
            username="zhangwei2026",
            display_name="张伟",
            password=password,
            unit=org.street1,
            role=Role.HANDLER,
        )
    assert problem in exc.value.message
    if "相似" not in problem:  # the admin's reset checks the same validators
        with pytest.raises(InvalidInput):
            actions.set_password(org.s1_handler, actor=org.admin, password=password)


def _token_client(username, password):
    r = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert r.status_code == 200, r.content
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    return c


def test_admin_password_reset_revokes_the_token(org):
    worker = _token_client("s1h", "test-pass-123")
    assert worker.get("/api/v1/appeals/").status_code == 200
    actions.set_password(org.s1_handler, actor=org.admin, password="a-fresh-pass-2026")
    assert worker.get("/api/v1/appeals/").status_code == 401


def test_reactivation_does_not_revive_the_old_token(org):
    worker = _token_client("s1h", "test-pass-123")
    actions.set_user_active(org.s1_handler, actor=org.admin, active=False)
    actions.set_user_active(org.s1_handler, actor=org.admin, active=True)
    assert worker.get("/api/v1/appeals/").status_code == 401
    assert _token_client("s1h", "test-pass-123").get("/api/v1/appeals/").status_code == 200
