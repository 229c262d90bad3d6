from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minhu.appeals.access import mask_phone
from minhu.consultation.models import Decision, Meeting, Member, Room, Topic
from minhu.orgs.api.common import UnitRefSerializer


class RoomFiguresSerializer(serializers.Serializer):
    meetings_held = serializers.IntegerField()
    meetings_planned = serializers.IntegerField()
    visits = serializers.IntegerField(help_text="走访调研人次")
    households = serializers.IntegerField()
    topics = serializers.IntegerField()
    decisions = serializers.IntegerField()
    done = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class MemberSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    phone = serializers.SerializerMethodField(help_text="Masked unless the role needs it")

    class Meta:
        model = Member
        fields = ["id", "name", "role", "role_label", "phone", "active"]
        read_only_fields = fields

    def get_phone(self, obj: Member) -> str:
        shown = self.context.get("phones_shown", set())
        return obj.phone if obj.room_id in shown else mask_phone(obj.phone)


class RoomSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    members = MemberSerializer(many=True, read_only=True, source="active_members")
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = ["id", "name", "unit", "address", "active", "members", "figures"]
        read_only_fields = fields

    @extend_schema_field(RoomFiguresSerializer)
    def get_figures(self, obj: Room) -> dict:
        f = self.context.get("figures", {}).get(obj.pk)
        return asdict(f) if f is not None else {}


class TopicSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id",
            "room",
            "title",
            "detail",
            "source",
            "source_label",
            "appeal",
            "raised_by_name",
            "status",
            "status_label",
            "created_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    item = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "text", "party_kind", "unit", "owners_representative", "due_on", "item"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "status": {"type": "string"},
                "resolve_due_at": {"type": "string", "format": "date-time", "nullable": True},
            },
        }
    )
    def get_item(self, obj: Decision):
        i = obj.item
        if i is None:
            return None
        due = (
            serializers.DateTimeField().to_representation(i.resolve_due_at)
            if i.resolve_due_at
            else None
        )
        return {"id": i.pk, "code": i.code, "status": i.status, "resolve_due_at": due}


class MeetingSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    topic = serializers.SerializerMethodField()
    invited_units = UnitRefSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    photos = serializers.SerializerMethodField(help_text="Scope-checked URLs of the photos")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "room",
            "topic",
            "starts_at",
            "status",
            "status_label",
            "invited_units",
            "minutes",
            "held_at",
            "decisions",
            "photos",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"}}}
    )
    def get_topic(self, obj: Meeting) -> dict:
        return {"id": obj.topic_id, "title": obj.topic.title}

    def get_photos(self, obj: Meeting) -> list[str]:
        from django.urls import reverse

        return [reverse("consultation:photo", args=[p.pk]) for p in obj.photos.all()]
