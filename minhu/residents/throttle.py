"""The residents' pages' rate limits: thin wrappers over `core.ratelimit`'s public buckets,
which the public API counts in too (one limit per action, whichever path it comes by). The
client is `core.ratelimit.client_ip`; it is stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest

from minhu.core import ratelimit
from minhu.core.ratelimit import client_ip


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the client address: lets abuse be spotted without storing the address."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, client_ip(request).encode(), hashlib.sha256).hexdigest()[:32]


def exceeded(bucket: str, request: HttpRequest, *, key: str | None = None) -> bool:
    return ratelimit.public_exceeded(bucket, request, key=key)


def hit(bucket: str, request: HttpRequest, *, key: str | None = None) -> None:
    ratelimit.public_hit(bucket, request, key=key)


def window_minutes(bucket: str) -> int:
    return ratelimit.public_window_minutes(bucket)
