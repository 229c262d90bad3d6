"""Admin for the outbox: what was sent to whom, what failed and why."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from minhu.appeals.access import mask_phone

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Written by the actions and delivered by `minhu deliver`: read-only here."""

    list_display = [
        "title",
        "kind",
        "channel",
        "recipient",
        "masked_phone",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "read_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["title", "dedupe_key", "appeal__code", "recipient__username"]
    list_select_related = ["recipient", "appeal"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "kind",
        "channel",
        "recipient",
        "masked_phone",
        "appeal",
        "title",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "read_at",
        "dedupe_key",
    ]
    readonly_fields = fields

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Notification) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
