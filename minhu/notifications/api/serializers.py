from __future__ import annotations

from rest_framework import serializers

from minhu.appeals.models import Appeal
from minhu.notifications.models import Notification


class NotificationAppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "code", "subject"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    appeal = NotificationAppealSerializer(read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "appeal",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were marked read")


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
