"""API plumbing shared by every app: pagination and one error format.

Errors always look like {"error": {"code": "<stable_code>", "message": "<中文说明>", "details": {}}}.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", gettext_lazy("请先登录")),
    exceptions.AuthenticationFailed: ("authentication_failed", gettext_lazy("认证失败")),
    exceptions.PermissionDenied: ("permission_denied", gettext_lazy("您无权执行此操作")),
    exceptions.NotFound: ("not_found", gettext_lazy("未找到该记录")),
    exceptions.MethodNotAllowed: ("method_not_allowed", gettext_lazy("不支持该请求方法")),
    exceptions.ParseError: ("parse_error", gettext_lazy("请求格式错误")),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", gettext_lazy("不支持的内容类型")),
    exceptions.Throttled: ("throttled", gettext_lazy("请求过于频繁")),
    exceptions.ValidationError: ("invalid", gettext_lazy("输入有误")),
}


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = "error", _("请求失败")
    for cls, (c, m) in DRF_CODES.items():
        if isinstance(exc, cls):
            code, message = c, str(m)
            break
    details = response.data if isinstance(exc, exceptions.ValidationError) else {}
    if not isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if detail and code not in ("not_found", "permission_denied", "not_authenticated"):
            message = str(detail)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Token realm="api"'
    response.data = error_body(code, message, details)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """The project's 404 handler: the API's error body under /api/ (an unknown path or a
    malformed id in it), Django's page elsewhere."""
    if _is_api(request):
        body = error_body("not_found", str(DRF_CODES[exceptions.NotFound][1]))
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The project's 500 handler: the API's error body under /api/, Django's page elsewhere."""
    if _is_api(request):
        body = error_body("server_error", _("服务器内部错误，问题已记录"))
        return JsonResponse(body, status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)
