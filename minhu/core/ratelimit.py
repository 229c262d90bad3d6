"""Rate limits kept in Django's cache (fixed windows), shared by every limit in Minhu.

A limit is a name with `(hits, window_seconds)`: the defaults below, overridden by the setting
MINHU_RATE_LIMITS ({name: (hits, seconds)}). Counters live in the default cache, so they are
per process with the local-memory cache and shared by every process once the cache is shared
(Redis). Keys are hashed: no address, user name or phone number is stored in the cache.

- `staff_page`   every page a signed-in user requests (per user)
- `staff_search` list searches with `?q=` (per user): guessing numbers or names is slow
- `login_ip`, `login_user`   failed sign-ins per client address / per user name
- `public_*`   residents' actions without an account, one limit per action whichever way it
  comes (the H5 pages or the public API): see PUBLIC_LIMITS
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .errors import TooManyRequests

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "staff_page": (600, 60),
    "staff_search": (60, 600),
    "login_ip": (30, 900),
    "login_user": (5, 900),
}


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind MINHU_NUM_PROXIES trusted reverse proxies
    the address the outermost of them appended to X-Forwarded-For (the header is ignored
    without them: clients can send any); MINHU_H5_CLIENT_IP_HEADER (e.g. "HTTP_X_REAL_IP")
    names a header a trusted proxy sets instead. The same rule as DRF's throttles."""
    if request is None:
        return ""
    header = getattr(settings, "MINHU_H5_CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    proxies = int(settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [a.strip() for a in forwarded.split(",") if a.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


# Residents' actions without an account, per client address unless said otherwise: the H5
# pages and the public API count in the same counters, so switching path gains nothing.
# Overridden by MINHU_H5_LIMITS ({bucket: (hits, seconds)}).
PUBLIC_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (5, 600),  # appeals registered
    "lookup": (60, 600),  # failed tracking look-ups from one address (guessing codes)
    "lookup_code": (5, 600),  # failed look-ups of one code, from any address (guessing phones)
    "rating": (10, 600),  # ratings given (appeals, service halls, enterprises)
    "upload_bytes": (60 * 1024 * 1024, 3600),  # bytes of photos uploaded
    "survey": (20, 600),  # questionnaire answers (minhu.surveys)
    "sms_code": (5, 3600),  # rating verification codes sent to one address
    "sms_code_phone": (3, 3600),  # ... and to one phone number, from any address
    "page": (120, 600),  # public figure pages and their API (阅卷, 红黑榜: minhu.evaluation)
    "service_order": (5, 600),  # service orders placed on the H5 pages (minhu.services)
}


def public_limit(bucket: str) -> tuple[int, int]:
    return {**PUBLIC_LIMITS, **getattr(settings, "MINHU_H5_LIMITS", {})}[bucket]


def _public_ident(bucket: str, request, key: str | None) -> str:
    return digest("public", bucket, key if key is not None else client_ip(request))


def public_count(bucket: str, request, *, key: str | None = None) -> int:
    return int(cache.get(_key("public_" + bucket, _public_ident(bucket, request, key))) or 0)


def public_exceeded(bucket: str, request, *, key: str | None = None, amount: int = 0) -> bool:
    """Whether the client (or `key`, e.g. a tracking code) has used up the bucket; with
    `amount`, whether that much more would go over it."""
    limit = public_limit(bucket)[0]
    used = public_count(bucket, request, key=key)
    return used >= limit if not amount else used + amount > limit


def public_hit(bucket: str, request, amount: int = 1, *, key: str | None = None) -> int:
    ident = _public_ident(bucket, request, key)
    return hit("public_" + bucket, ident, amount, window=public_limit(bucket)[1])


def public_window_minutes(bucket: str) -> int:
    return max(1, public_limit(bucket)[1] // 60)


def public_refusal(bucket: str) -> TooManyRequests:
    return TooManyRequests(
        _("操作过于频繁，请%(n)d分钟后再试") % {"n": public_window_minutes(bucket)}
    )


def check_public_lookup(request, code: str) -> None:
    """The residents' look-up limits, the same counters as the H5 tracking page: failed
    look-ups per client address and per code (from any address)."""
    asked = (code or "").strip().upper()[:20]
    for bucket, key in (("lookup", None), ("lookup_code", asked)):
        if public_exceeded(bucket, request, key=key):
            raise public_refusal(bucket)


def count_failed_lookup(request, code: str) -> None:
    public_hit("lookup", request)
    public_hit("lookup_code", request, key=(code or "").strip().upper()[:20])


def upload_bytes(files) -> int:
    return sum(getattr(f, "size", 0) or 0 for f in files or [])


def check_upload_quota(request, total: int) -> None:
    """Photos' bytes per client address per hour (H5 and API together)."""
    if total and public_exceeded("upload_bytes", request, amount=total):
        raise TooManyRequests(
            _("本小时上传的照片已达上限，请稍后再试或不附照片提交"), code="upload_quota"
        )


def limit_of(name: str) -> tuple[int, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "MINHU_RATE_LIMITS", {})}[name]


def digest(*parts: object) -> str:
    """A keyed hash of `parts` (so cache keys hold no personal data)."""
    key = settings.SECRET_KEY.encode()
    text = "\x1f".join(str(p) for p in parts).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:32]


def _key(name: str, ident: str) -> str:
    return f"minhu:rl:{name}:{ident}"


def count(name: str, ident: str) -> int:
    """Hits counted so far in the current window."""
    return int(cache.get(_key(name, ident)) or 0)


def exceeded(name: str, ident: str) -> bool:
    return count(name, ident) >= limit_of(name)[0]


def hit(name: str, ident: str, amount: int = 1, *, window: int | None = None) -> int:
    """Count `amount` hits; returns the new count. The window starts with the first hit."""
    key = _key(name, ident)
    timeout = window if window is not None else limit_of(name)[1]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=timeout)
        return amount


def reset(name: str, ident: str) -> None:
    cache.delete(_key(name, ident))


def window_minutes(name: str) -> int:
    return max(1, limit_of(name)[1] // 60)


# --- the staff pages --------------------------------------------------------------------------

# Paths the staff-page limit does not count: static files, and the API (DRF throttles it).
EXEMPT_PREFIXES = ("/static/", "/media/", "/api/")


def too_many(request, name: str) -> TemplateResponse:
    response = TemplateResponse(request, "429.html", {"minutes": window_minutes(name)}, status=429)
    response["Retry-After"] = str(limit_of(name)[1])
    return response


class StaffRateLimitMiddleware:
    """Per signed-in user: at most `staff_page` page requests and `staff_search` list searches
    (`?q=`) per window. Over the limit the page answers 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            ident = digest("user", user.pk)
            if hit("staff_page", ident) > limit_of("staff_page")[0]:
                return too_many(request, "staff_page").render()
            if (request.GET.get("q") or "").strip():
                if hit("staff_search", ident) > limit_of("staff_search")[0]:
                    return too_many(request, "staff_search").render()
        return self.get_response(request)
