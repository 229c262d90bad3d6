from __future__ import annotations

from rest_framework import serializers

from minhu.categories.models import Category
from minhu.orgs.models import HANDLING_KINDS, UnitKind

HANDLING_KIND_CHOICES = [(k, UnitKind(k).label) for k in UnitKind.values if k in HANDLING_KINDS]


class CategorySerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="__str__", read_only=True)
    level = serializers.SerializerMethodField()
    default_lead_kind = serializers.ChoiceField(
        choices=HANDLING_KIND_CHOICES,
        required=False,
        allow_blank=True,
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "name",
            "code",
            "parent",
            "full_name",
            "level",
            "default_lead_kind",
            "default_lead_unit",
            "keywords",
            "active",
            "sort",
        ]
        # (parent, name) is checked in validate(), for first-level categories too.
        validators: list = []

    def get_level(self, obj: Category) -> int:
        return 2 if obj.parent_id else 1

    def validate(self, attrs):
        instance: Category | None = self.instance
        parent = attrs["parent"] if "parent" in attrs else (instance.parent if instance else None)
        if parent is not None:
            if parent.parent_id:
                raise serializers.ValidationError({"parent": ["分类最多两级：上级须为一级分类"]})
            if instance is not None and parent.pk == instance.pk:
                raise serializers.ValidationError({"parent": ["上级不能是自身"]})
            if instance is not None and instance.children.exists():
                raise serializers.ValidationError(
                    {"parent": ["该分类下有二级分类，不能再设为二级分类"]}
                )
        lead = attrs.get("default_lead_unit")
        if lead is not None and lead.kind not in HANDLING_KINDS:
            raise serializers.ValidationError({"default_lead_unit": ["该单位不能承办诉求"]})
        name = attrs.get("name", instance.name if instance else "")
        clash = Category.objects.filter(parent=parent, name=name)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": ["同一上级下已有同名分类"]})
        return attrs


class CategoryTreeSerializer(CategorySerializer):
    children = serializers.SerializerMethodField()

    class Meta(CategorySerializer.Meta):
        fields = [*CategorySerializer.Meta.fields, "children"]
        read_only_fields = fields

    def get_children(self, obj: Category) -> list[dict]:
        kids = self.context["children"].get(obj.pk, [])
        return CategorySerializer(kids, many=True).data
