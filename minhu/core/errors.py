"""Domain errors. Each has a stable machine code (API) and a Chinese message (UI)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    http_status = 400
    default_message = _("操作失败")

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any):
        # Resolved now, in the active language (the request's, through LocaleMiddleware).
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    """Missing, or outside what the user's units may see (the two are indistinguishable)."""

    code = "not_found"
    http_status = 404
    default_message = _("未找到该记录")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("您无权执行此操作")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409
    default_message = _("当前状态下不能执行此操作")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_message = _("记录已被他人处理")


class InvalidInput(DomainError):
    code = "invalid"
    http_status = 400
    default_message = _("输入有误")


class TooManyRequests(DomainError):
    """A rate limit or a lockout (the API answers 429; pages say when to try again)."""

    code = "throttled"
    http_status = 429
    default_message = _("操作过于频繁，请稍后再试")
