"""The outbox: one row per recipient and channel, written in the same transaction as the change
that causes it; `minhu deliver` sends what is pending."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    DISPATCHED = "dispatched", _("新派单")
    DUE_SOON = "due_soon", _("即将超时")
    OVERDUE = "overdue", _("已超时")
    RETURNED = "returned", _("被退单")
    SUMMONED = "summoned", _("吹哨报到")
    SUMMONS_CANCELLED = "summons_cancelled", _("撤销召集")
    BADLY_RATED = "badly_rated", _("群众不满意")
    EXTENSION = "extension", _("延期审批")
    REPLIED = "replied", _("已答复")
    MEETING = "meeting", _("议事会通知")


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("站内")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One message to a user (in-app) or a phone (SMS), written in the action's transaction
    and sent by `minhu deliver`. `appeal` is the work item it is about, whatever its kind
    (resident appeal, visit problem, meeting decision, ...): `appeals.Appeal` is the general
    work item, so no copy of this model exists per kind."""

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(
        max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.IN_APP
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    phone = models.CharField(max_length=20, blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # After a failed attempt, the next try waits until then (backoff). Null: as soon as possible.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True, db_index=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return self.title
