"""While the database (or the shared cache) is unreachable, every request gets a 503 with a
stable code and `Retry-After` instead of a 500 page.

Two paths lead here: an exception raised by a view (`process_exception`), and one raised in
another middleware (the session saved on the way out, say), which Django has already turned
into a 500 response; `got_request_exception` marks the request so the outermost middleware
swaps that 500 for the 503.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .api import error_body

logger = logging.getLogger("minhu.unavailable")

RETRY_AFTER_SECONDS = 5


def _cache_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a runtime requirement
        return ()
    return (RedisConnectionError, RedisTimeoutError)


def unavailable_code(exc: BaseException | None) -> str | None:
    """The stable code for an exception that means "a backing service is down", else None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return "database_unavailable"
    if exc is not None and isinstance(exc, _cache_errors()):
        return "cache_unavailable"
    return None


def unavailable_response(request: HttpRequest, code: str) -> HttpResponse:
    message = _("系统繁忙：数据服务暂时不可用，请稍后重试。您的提交未被保存，请稍后重新提交。")
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")
    if wants_json:
        response: HttpResponse = JsonResponse(error_body(code, message), status=503)
    else:
        # Rendered without the request: the context processors would query the database.
        html = render_to_string("503.html", {"message": message, "code": code})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        code = getattr(request, "_minhu_unavailable", None)
        if code and response.status_code == 500:
            return unavailable_response(request, code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        code = unavailable_code(exception)
        if code is None:
            return None
        logger.warning("%s %s: %s (%s)", request.method, request.path, code, exception)
        return unavailable_response(request, code)


@receiver(got_request_exception)
def _mark_unavailable(sender, request=None, **kwargs) -> None:
    code = unavailable_code(sys.exc_info()[1])
    if code and request is not None:
        request._minhu_unavailable = code
