"""A small per-client rate limit for the public pages, kept in Django's cache.

Fixed windows: at most `limit` hits per `window` seconds per client and bucket. Limits come
from settings (MINHU_H5_LIMITS: {bucket: (limit, window_seconds)}) with the defaults below.
The client is the address the API throttles use too: REMOTE_ADDR, or behind MINHU_NUM_PROXIES
trusted reverse proxies the address the outermost of them appended to X-Forwarded-For (the
header is ignored without them: clients can send any). MINHU_H5_CLIENT_IP_HEADER (e.g.
"HTTP_X_REAL_IP") names a header a trusted proxy sets instead. It is stored only as a keyed
hash."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from minhu.core.ratelimit import client_ip

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (5, 600),  # appeals registered
    "lookup": (20, 600),  # failed tracking look-ups (guessing codes or phones)
    "rating": (10, 600),  # service-hall and enterprise ratings
}


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the client address: lets abuse be spotted without storing the address."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, client_ip(request).encode(), hashlib.sha256).hexdigest()[:32]


def _limit(bucket: str) -> tuple[int, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "MINHU_H5_LIMITS", {})}[bucket]


def _key(bucket: str, request: HttpRequest) -> str:
    return f"minhu:h5:{bucket}:{ip_hash(request)}"


def exceeded(bucket: str, request: HttpRequest) -> bool:
    limit, _window = _limit(bucket)
    return (cache.get(_key(bucket, request)) or 0) >= limit


def hit(bucket: str, request: HttpRequest) -> None:
    _limit_, window = _limit(bucket)
    key = _key(bucket, request)
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def window_minutes(bucket: str) -> int:
    return max(1, _limit(bucket)[1] // 60)
