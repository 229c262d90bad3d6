"""Serializers of the routing API (validation of input; the verbs do the changes)."""

from __future__ import annotations

from rest_framework import serializers

from minhu.categories.models import Category
from minhu.orgs.models import Unit

from ..models import ClassifierModel, DispatchRule, LeadLocal, RoutingConfig


class CandidateSerializer(serializers.Serializer):
    label = serializers.CharField()
    category_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    prob = serializers.FloatField()


class LocationSerializer(serializers.Serializer):
    grid_id = serializers.IntegerField(allow_null=True)
    grid_name = serializers.CharField(allow_blank=True)
    community_id = serializers.IntegerField(allow_null=True)
    community_name = serializers.CharField(allow_blank=True)
    street_id = serializers.IntegerField(allow_null=True)
    street_name = serializers.CharField(allow_blank=True)
    matched = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField(allow_blank=True)


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField(required=False)
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class ProposalSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True, help_text="Top 3 categories, best first.")
    confidence = serializers.FloatField()
    model_version = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=["model", "rules", "none"])
    category_id = serializers.IntegerField(allow_null=True)
    category_name = serializers.CharField(allow_blank=True)
    location = LocationSerializer()
    lead_unit_id = serializers.IntegerField(allow_null=True)
    lead_unit_name = serializers.CharField(allow_blank=True)
    assist_unit_ids = serializers.ListField(child=serializers.IntegerField())
    assist_unit_names = serializers.ListField(child=serializers.CharField())
    rule_id = serializers.IntegerField(allow_null=True)
    lead_source = serializers.CharField(allow_blank=True)
    auto = serializers.BooleanField()
    lead_unit_returned = serializers.BooleanField(
        help_text="The proposed lead unit already returned this appeal."
    )
    not_auto_reasons = serializers.ListField(child=serializers.CharField())
    duplicates = DuplicateSerializer(many=True)
    decision_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.CharField(allow_null=True)


class LinkInputSerializer(serializers.Serializer):
    other = serializers.CharField(max_length=20, help_text="Appeal id or tracking code.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LinkedAppealSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()


class ReplyCheckInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, allow_blank=False, trim_whitespace=True)


class ReplyCheckSerializer(serializers.Serializer):
    score = serializers.FloatField()
    relevance = serializers.FloatField()
    completeness = serializers.FloatField()
    timeliness = serializers.FloatField()
    substance = serializers.FloatField()
    parts = serializers.DictField(child=serializers.BooleanField())
    working_days = serializers.IntegerField(allow_null=True)
    level = serializers.ChoiceField(choices=["good", "fair", "weak"])
    warnings = serializers.ListField(child=serializers.CharField())


class HotspotSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    area_name = serializers.CharField()
    volume = serializers.IntegerField()
    previous = serializers.IntegerField()
    growth = serializers.FloatField()
    support = serializers.IntegerField()
    heat = serializers.FloatField()
    appeal_ids = serializers.ListField(child=serializers.IntegerField())


class ClassifierModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassifierModel
        fields = [
            "id",
            "version",
            "created_at",
            "active",
            "activated_at",
            "labels",
            "params",
            "evaluation",
            "trained_on",
            "n_samples",
            "size",
        ]


class DispatchRuleSerializer(serializers.ModelSerializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    area = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False
    )
    lead_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False
    )
    lead_local = serializers.ChoiceField(choices=LeadLocal.choices, required=False, default="")
    assist_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )

    class Meta:
        model = DispatchRule
        fields = [
            "id",
            "category",
            "area",
            "lead_unit",
            "lead_local",
            "assist_units",
            "active",
            "note",
            "updated_at",
        ]
        read_only_fields = ["id", "active", "updated_at"]
        # One active rule per category × area is checked by the verb (Conflict rule_exists).
        validators: list = []


class RoutingConfigSerializer(serializers.ModelSerializer):
    effective_threshold = serializers.FloatField(read_only=True)
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="null until the settings are first saved"
    )

    class Meta:
        model = RoutingConfig
        fields = [
            "auto_dispatch",
            "threshold",
            "effective_threshold",
            "rules_may_auto_dispatch",
            "duplicate_days",
            "duplicate_radius_m",
            "duplicate_min_score",
            "hotspot_similarity",
            "hotspot_min_size",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
