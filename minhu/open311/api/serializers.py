"""Open311 API keys as admins manage them: the key itself only in the answer that issues it."""

from __future__ import annotations

from rest_framework import serializers

from minhu.open311 import actions
from minhu.open311.models import ApiKey, KeyUse
from minhu.orgs.api.base import actor_of


class ApiKeySerializer(serializers.ModelSerializer):
    uses = serializers.IntegerField(
        source="use_count", read_only=True, help_text="Calls recorded with this key"
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "contact",
            "prefix",
            "rate_limit",
            "active",
            "created_at",
            "revoked_at",
            "last_used_at",
            "uses",
        ]
        read_only_fields = ["prefix", "active", "created_at", "revoked_at", "last_used_at"]
        extra_kwargs = {"rate_limit": {"required": False}}

    def create(self, validated_data) -> ApiKey:
        row, secret = actions.issue_key(
            actor=actor_of(self),
            name=validated_data.get("name", ""),
            contact=validated_data.get("contact", ""),
            rate_limit=validated_data.get("rate_limit"),
        )
        row.issued_key = secret
        row.use_count = 0
        return row

    def update(self, instance: ApiKey, validated_data) -> ApiKey:
        row = actions.update_key(instance, actor=actor_of(self), **validated_data)
        row.use_count = getattr(instance, "use_count", 0)
        return row


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        source="issued_key", read_only=True, help_text="The key: shown once, only here"
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class KeyUseSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyUse
        fields = ["id", "at", "method", "path", "status", "service_request_id"]
