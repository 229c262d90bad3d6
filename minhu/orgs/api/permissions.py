"""API permissions shared by every app: who counts as staff, who may change configuration."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import AnonRateThrottle

from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of


def is_staff_member(user) -> bool:
    """An authenticated user with at least one active membership (or a superuser)."""
    if user is None or not user.is_authenticated:
        return False
    return bool(scope_of(user).roles)


def is_admin(user) -> bool:
    return is_staff_member(user) and scope_of(user).has_role(Role.ADMIN)


class IsStaffMember(BasePermission):
    """Staff of some unit: an account without any role sees nothing."""

    message = _("您没有任何单位的角色，请联系管理员")

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)


class IsAdminRole(BasePermission):
    message = _("只有系统管理员可以执行此操作")

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class IsAdminRoleOrReadOnly(BasePermission):
    """Every staff member reads; only the admin role writes (configuration objects)."""

    message = _("只有系统管理员可以修改配置")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_staff_member(request.user)
        return is_admin(request.user)


class PublicRateThrottle(AnonRateThrottle):
    """Residents' endpoints (no login): rate `public` in REST_FRAMEWORK's throttle rates,
    counted per client IP."""

    scope = "public"


class LoginRateThrottle(AnonRateThrottle):
    """The token endpoint: rate `auth`, per client IP, against password guessing."""

    scope = "auth"
