"""Sign-in throttling and lockout, for every way in (the login page, the Django admin, the API
token endpoint): they all authenticate through `ThrottledModelBackend`.

Two counters of failed sign-ins in `core.ratelimit` (the cache; keyed hashes, so neither the
address nor the user name is stored):

- `login_user` (5 in 15 minutes) per user name, whatever the address: the account is locked
  until the window ends or an administrator unlocks it (`orgs.actions.unlock_login`, audited).
  Names that do not exist are counted the same way, so the answer tells nothing about which
  accounts exist.
- `login_ip` (30 in 15 minutes) per client address: one address cannot walk through many
  user names.

While either is reached every sign-in is refused, the right password too. A successful sign-in
clears its user name's counter (not the address's)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _

from minhu.core import ratelimit


def _user_ident(username: str) -> str:
    return ratelimit.digest("login-user", username.strip().casefold())


def _ip_ident(request) -> str:
    return ratelimit.digest("login-ip", ratelimit.client_ip(request))


def is_locked(username: str) -> bool:
    """The user name has reached its failed sign-ins (until the window ends or an unlock)."""
    return ratelimit.exceeded("login_user", _user_ident(username))


def refusal(request, username: str) -> str | None:
    """Why a sign-in is refused before the password is even checked, or None."""
    if username and is_locked(username):
        return _(
            "该账号登录失败次数过多，已暂时锁定。请%(minutes)d分钟后再试，或联系系统管理员解锁。"
        ) % {"minutes": ratelimit.window_minutes("login_user")}
    if request is not None and ratelimit.exceeded("login_ip", _ip_ident(request)):
        return _("此网络地址登录失败次数过多，请%(minutes)d分钟后再试。") % {
            "minutes": ratelimit.window_minutes("login_ip")
        }
    return None


def failed(request, username: str) -> None:
    ratelimit.hit("login_user", _user_ident(username or ""))
    if request is not None:
        ratelimit.hit("login_ip", _ip_ident(request))


def succeeded(username: str) -> None:
    ratelimit.reset("login_user", _user_ident(username))


def clear(username: str) -> None:
    """Lift a user name's lockout (the admin's `unlock_login` verb calls this)."""
    ratelimit.reset("login_user", _user_ident(username))


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the lockout: refused while locked (PermissionDenied stops
    every backend), failures counted, a success clears the user name's counter."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from django.contrib.auth import get_user_model

        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if refusal(request, username):
            raise DjangoPermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            failed(request, username)
        else:
            succeeded(username)
        return user
