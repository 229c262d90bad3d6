"""Opinion-collection points and service halls (their QR codes carry `code`)."""

from __future__ import annotations

import django_filters as df
from rest_framework import serializers

from minhu.appeals import config_actions
from minhu.appeals.models import Channel, CollectionPoint
from minhu.orgs.api.base import ConfigModelViewSet, actor_of
from minhu.orgs.api.common import UnitRefSerializer
from minhu.orgs.api.filters import IntFilter, TextSearchFilter


class CollectionPointSerializer(serializers.ModelSerializer):
    unit_detail = UnitRefSerializer(source="unit", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)

    class Meta:
        model = CollectionPoint
        fields = [
            "id",
            "name",
            "code",
            "unit",
            "unit_detail",
            "channel",
            "channel_label",
            "is_service_hall",
            "address",
            "active",
        ]

    # An active unit and a unique code are the verbs' rules.
    def create(self, validated_data) -> CollectionPoint:
        return config_actions.create_collection_point(actor=actor_of(self), **validated_data)

    def update(self, instance: CollectionPoint, validated_data) -> CollectionPoint:
        config_actions.update_collection_point(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


class CollectionPointFilter(df.FilterSet):
    unit = IntFilter(field_name="unit_id")
    channel = df.ChoiceFilter(choices=Channel.choices)
    is_service_hall = df.BooleanFilter()
    active = df.BooleanFilter()
    q = TextSearchFilter(
        fields=("name", "code", "address"), help_text="Text in name, code or address"
    )

    class Meta:
        model = CollectionPoint
        fields: list[str] = []


class CollectionPointViewSet(ConfigModelViewSet):
    serializer_class = CollectionPointSerializer
    filterset_class = CollectionPointFilter
    delete_verb = config_actions.delete_collection_point

    def get_queryset(self):
        return CollectionPoint.objects.select_related("unit").order_by("id")
