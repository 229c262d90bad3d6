from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minhu.appeals.access import mask_phone
from minhu.orgs.api.common import UnitRefSerializer
from minhu.services.access import can_see_phone
from minhu.services.models import OrderChannel, Service, ServiceCategory, ServiceOrder


class ServiceSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    provider = UnitRefSerializer(read_only=True)
    areas = UnitRefSerializer(many=True, read_only=True)
    is_free = serializers.BooleanField(read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "category",
            "category_label",
            "description",
            "provider",
            "areas",
            "price",
            "price_unit",
            "is_free",
            "time_limit_days",
            "requirements",
            "active",
            "created_at",
        ]
        read_only_fields = fields


class ServiceInputSerializer(serializers.Serializer):
    """The shape of a service; the verbs check the rest (Chinese message, stable code)."""

    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    description = serializers.CharField(max_length=2000)
    provider = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    areas = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=500
    )
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    price_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    time_limit_days = serializers.IntegerField(min_value=1, max_value=60, required=False)
    requirements = serializers.CharField(max_length=300, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class ItemRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    status = serializers.CharField()
    resolve_due_at = serializers.DateTimeField(allow_null=True)


class ServiceOrderSerializer(serializers.ModelSerializer):
    service = serializers.SerializerMethodField()
    community = UnitRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    phone = serializers.SerializerMethodField(help_text="Masked unless the user's role needs it")
    item = serializers.SerializerMethodField()

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "number",
            "service",
            "community",
            "channel",
            "name",
            "phone",
            "address",
            "need",
            "preferred_time",
            "status",
            "status_label",
            "reject_reason",
            "item",
            "created_at",
            "placed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_service(self, obj: ServiceOrder) -> dict:
        return {"id": obj.service_id, "name": obj.service.name}

    def get_phone(self, obj: ServiceOrder) -> str:
        user = self.context["request"].user
        return obj.phone if can_see_phone(user, obj) else mask_phone(obj.phone)

    @extend_schema_field(ItemRefSerializer(allow_null=True))
    def get_item(self, obj: ServiceOrder):
        if obj.item is None:
            return None
        i = obj.item
        return ItemRefSerializer(
            {"id": i.pk, "code": i.code, "status": i.status, "resolve_due_at": i.resolve_due_at}
        ).data


class TakeOrderSerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    community = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    channel = serializers.ChoiceField(
        choices=[OrderChannel.PHONE, OrderChannel.COUNTER], default=OrderChannel.PHONE
    )
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=200)
    need = serializers.CharField(max_length=2000)
    preferred_time = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class FigureRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Provider or service id, or the category code")
    name = serializers.CharField()
    orders = serializers.IntegerField()
    placed = serializers.IntegerField()
    pending = serializers.IntegerField()
    done = serializers.IntegerField()
    on_time = serializers.IntegerField()
    rated = serializers.IntegerField()
    done_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


class DefinitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    numerator = serializers.CharField()
    denominator = serializers.CharField()
    text = serializers.CharField()


class ServiceFiguresSerializer(serializers.Serializer):
    by = serializers.CharField()
    total = FigureRowSerializer()
    rows = FigureRowSerializer(many=True)
    definitions = serializers.DictField(child=DefinitionSerializer())
