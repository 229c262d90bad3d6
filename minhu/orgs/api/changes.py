"""The log of configuration changes (core.ConfigChange), for administrators only."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from minhu.core.audit import TRACKED_MODELS, describe, model_name
from minhu.core.models import ConfigAction, ConfigChange

from .common import errors
from .filters import DateFilter, IntFilter
from .permissions import IsAdminRole


class ConfigChangeFieldSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class ConfigChangeSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    model_label = serializers.SerializerMethodField()
    changes = serializers.JSONField(
        read_only=True,
        help_text="{field: [old, new]}: related rows as {id, name}, many-to-many as lists of "
        'those; a password is only ever [null, "password changed"]',
    )
    display = serializers.SerializerMethodField(help_text="The changes as text for people")

    class Meta:
        model = ConfigChange
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "action_label",
            "model",
            "model_label",
            "object_id",
            "object_repr",
            "changes",
            "display",
        ]
        read_only_fields = fields

    def get_model_label(self, obj: ConfigChange) -> str:
        return model_name(obj.model)

    @extend_schema_field(ConfigChangeFieldSerializer(many=True))
    def get_display(self, obj: ConfigChange) -> list[dict]:
        return describe(obj)


class ConfigChangeFilter(df.FilterSet):
    model = df.ChoiceFilter(choices=[(m, m) for m in TRACKED_MODELS], help_text="app.model")
    object_id = IntFilter(help_text="One object's history (with `model`)")
    actor = IntFilter(field_name="actor_id", help_text="User id of who made the change")
    action = df.ChoiceFilter(choices=ConfigAction.choices)
    date_after = DateFilter(method="filter_after", help_text="On or after this local date")
    date_before = DateFilter(method="filter_before", help_text="On or before this local date")
    q = df.CharFilter(method="filter_q", help_text="Text in the object's name")

    class Meta:
        model = ConfigChange
        fields: list[str] = []

    @staticmethod
    def _start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())

    def filter_after(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(created_at__gte=self._start(value))

    def filter_before(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(created_at__lt=self._start(value + dt.timedelta(days=1)))

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(object_repr__icontains=value) if value else qs


@extend_schema_view(
    list=extend_schema(
        summary="Configuration changes, newest first (admin only)",
        responses={200: ConfigChangeSerializer(many=True), **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One configuration change (admin only)",
        responses={200: ConfigChangeSerializer, **errors(401, 403, 404)},
    ),
)
class ConfigChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed which unit, account, membership, category, time limit, calendar override or
    collection point, when, and how (`changes`). Append-only: there is nothing to write."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = ConfigChangeSerializer
    filterset_class = ConfigChangeFilter

    def get_queryset(self):
        return ConfigChange.objects.order_by("-created_at", "-id")
