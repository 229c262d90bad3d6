"""State changes of in-app notifications: a user marks their own notifications read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from minhu.core.errors import NotFound

from .models import Notification, NotificationChannel


def _mine(actor):
    return Notification.objects.filter(recipient=actor, channel=NotificationChannel.IN_APP)


@transaction.atomic
def mark_read(notification_id: int, *, actor) -> Notification:
    """Marks one of the actor's in-app notifications read (again is a no-op). Someone else's
    notification is "not found"."""
    try:
        n = _mine(actor).select_for_update().get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """Marks every unread in-app notification of the actor read; returns how many."""
    return _mine(actor).filter(read_at__isnull=True).update(read_at=timezone.now())
