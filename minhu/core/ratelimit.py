"""Rate limits kept in Django's cache (fixed windows), shared by every limit in Minhu.

A limit is a name with `(hits, window_seconds)`: the defaults below, overridden by the setting
MINHU_RATE_LIMITS ({name: (hits, seconds)}). Counters live in the default cache, so they are
per process with the local-memory cache and shared by every process once the cache is shared
(Redis). Keys are hashed: no address, user name or phone number is stored in the cache.

- `staff_page`   every page a signed-in user requests (per user)
- `staff_search` list searches with `?q=` (per user): guessing numbers or names is slow
- `login_ip`, `login_user`   failed sign-ins per client address / per user name
- `public_write_hour`   anonymous uploads' total bytes per client address per hour
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse

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
