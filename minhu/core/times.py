"""Times as the product shows them: Asia/Shanghai (+08:00), whatever the database stores."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601 in the server's time zone (TIME_ZONE, +08:00), as DRF renders model fields.
    Dates and naive values are returned as they are; None stays None."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
