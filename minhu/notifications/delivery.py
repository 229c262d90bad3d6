"""Delivering the outbox: in-app rows are marked sent (the web shows them); SMS rows go to the
gateway configured in MINHU_SMS_BACKEND, with retries and backoff; after MAX_ATTEMPTS failures a
row is marked failed with the last error. Delivery is at least once: a crash between the
gateway's acceptance and the commit re-sends that batch."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import DeliveryStatus, Notification, NotificationChannel

logger = logging.getLogger("minhu.notifications")

MAX_ATTEMPTS = 5
BATCH_SIZE = 200
SMS_MAX_CHARS = 300


def sms_backend():
    """A new instance of the class named by MINHU_SMS_BACKEND."""
    return import_string(settings.MINHU_SMS_BACKEND)()


def sms_text(n: Notification) -> str:
    text = f"【民呼】{n.title}" + (f"：{n.body}" if n.body else "")
    return text[:SMS_MAX_CHARS]


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 minutes after the 1st, 2nd, 3rd, 4th failure."""
    return dt.timedelta(minutes=2 ** max(0, attempts - 1))


def deliver_pending(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE, backend=None
) -> dict[str, int]:
    """One pass over the pending rows. Returns counts: in_app, sent, retry, failed."""
    now = now or timezone.now()
    stats: Counter[str] = Counter(in_app=0, sent=0, retry=0, failed=0)
    while True:
        ids = list(
            Notification.objects.filter(
                status=DeliveryStatus.PENDING, channel=NotificationChannel.IN_APP
            )
            .order_by("id")
            .values_list("id", flat=True)[:5000]
        )
        if not ids:
            break
        stats["in_app"] += Notification.objects.filter(
            id__in=ids, status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.SENT, sent_at=now, attempts=1)
    backend = backend or sms_backend()
    last_id = 0
    while True:
        with transaction.atomic():
            # Two workers never take the same rows (PostgreSQL); SQLite serialises writers.
            batch = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=DeliveryStatus.PENDING, id__gt=last_id)
                .exclude(channel=NotificationChannel.IN_APP)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .order_by("id")[:batch_size]
            )
            if not batch:
                break
            last_id = batch[-1].id
            for n in batch:
                _send_one(n, backend, now, stats)
            Notification.objects.bulk_update(
                batch, ["status", "attempts", "last_error", "sent_at", "next_attempt_at"]
            )
    return dict(stats)


def _send_one(n: Notification, backend, now: dt.datetime, stats: Counter) -> None:
    n.attempts += 1
    if n.channel != NotificationChannel.SMS or not n.phone:
        n.status, n.next_attempt_at = DeliveryStatus.FAILED, None
        n.last_error = "没有手机号" if n.channel == NotificationChannel.SMS else "未知渠道"
        stats["failed"] += 1
        return
    try:
        backend.send(n.phone, sms_text(n))
    except Exception as exc:  # the gateway's failure, whatever its kind
        n.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if n.attempts >= MAX_ATTEMPTS:
            n.status, n.next_attempt_at = DeliveryStatus.FAILED, None
            stats["failed"] += 1
            logger.warning("SMS %s failed after %s attempts: %s", n.pk, n.attempts, n.last_error)
        else:
            n.next_attempt_at = now + retry_delay(n.attempts)
            stats["retry"] += 1
        return
    n.status, n.sent_at, n.next_attempt_at = DeliveryStatus.SENT, timezone.now(), None
    stats["sent"] += 1
