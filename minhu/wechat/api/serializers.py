from __future__ import annotations

from rest_framework import serializers

from minhu.orgs.api.common import UnitRefSerializer

from ..models import GroupMessage, GroupRecord, RecordKind, WechatGroup


class GroupSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    community = UnitRefSerializer(read_only=True)
    street = UnitRefSerializer(read_only=True)
    keeper = serializers.CharField(source="keeper.display_name", read_only=True)

    class Meta:
        model = WechatGroup
        fields = [
            "id",
            "name",
            "unit",
            "community",
            "street",
            "keeper",
            "keeper_id",
            "member_count",
            "active",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.name", read_only=True)
    appeal_code = serializers.CharField(source="appeal.code", read_only=True)
    appeal_status = serializers.CharField(source="appeal.status", read_only=True)
    sender_phone = serializers.SerializerMethodField(
        help_text="Masked unless the role handles phones"
    )
    answer_text = serializers.SerializerMethodField(
        help_text="The text to post back into the group: the answer once replied, else the receipt"
    )

    class Meta:
        model = GroupMessage
        fields = [
            "id",
            "group_id",
            "group",
            "sender",
            "sender_phone",
            "text",
            "posted_at",
            "appeal_id",
            "appeal_code",
            "appeal_status",
            "duplicate_of_id",
            "answered_at",
            "created_at",
            "answer_text",
        ]
        read_only_fields = fields

    def get_sender_phone(self, obj: GroupMessage) -> str:
        from ..access import shown_phone

        return shown_phone(self.context["request"].user, obj.sender_phone)

    def get_answer_text(self, obj: GroupMessage) -> str:
        from .. import answers

        return answers.answer(obj) or answers.acknowledgement(obj)


class MessageInSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5200, help_text="As pasted (昵称 09:30⏎text is read)")
    sender = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    sender_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    posted_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    grid = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="A community group's grid",
    )


class RecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupRecord
        fields = ["id", "group_id", "kind", "title", "note", "happened_on", "created_at"]
        read_only_fields = ["id", "group_id", "created_at"]


class RecordInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    title = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    happened_on = serializers.DateField(required=False, allow_null=True, default=None)


class StatsRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(allow_null=True)
    unit__name = serializers.CharField()
    groups = serializers.IntegerField()
    members = serializers.IntegerField()
    messages = serializers.IntegerField()
    items = serializers.IntegerField()
    repeats = serializers.IntegerField()
    closed = serializers.IntegerField()
    answered = serializers.IntegerField()
    policy_posts = serializers.IntegerField()
    settled = serializers.IntegerField()
