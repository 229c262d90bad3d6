from __future__ import annotations

from rest_framework import serializers

from minhu.categories import actions
from minhu.categories.models import Category, CategoryField
from minhu.orgs.api.base import actor_of
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
        # (parent, name) is checked by the verbs, for first-level categories too.
        validators: list = []

    def get_level(self, obj: Category) -> int:
        return 2 if obj.parent_id else 1

    # Two levels, unique names under a parent and a lead unit that can handle appeals are
    # the verbs' rules.
    def create(self, validated_data) -> Category:
        return actions.create_category(actor=actor_of(self), **validated_data)

    def update(self, instance: Category, validated_data) -> Category:
        actions.update_category(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


class CategoryTreeSerializer(CategorySerializer):
    children = serializers.SerializerMethodField()

    class Meta(CategorySerializer.Meta):
        fields = [*CategorySerializer.Meta.fields, "children"]
        read_only_fields = fields

    def get_children(self, obj: Category) -> list[dict]:
        kids = self.context["children"].get(obj.pk, [])
        return CategorySerializer(kids, many=True).data


class CategoryFieldSerializer(serializers.ModelSerializer):
    """A category's extra field (分类附加字段); `options`: one `key=名称` per line."""

    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    option_list = serializers.SerializerMethodField()

    class Meta:
        model = CategoryField
        fields = [
            "id",
            "category",
            "code",
            "label",
            "datatype",
            "required",
            "order",
            "help_text",
            "options",
            "option_list",
            "active",
        ]
        validators: list = []

    def get_option_list(self, obj: CategoryField) -> list[dict[str, str]]:
        return [{"key": k, "name": n} for k, n in obj.option_list()]

    def create(self, validated_data) -> CategoryField:
        return actions.create_category_field(actor=actor_of(self), **validated_data)

    def update(self, instance: CategoryField, validated_data) -> CategoryField:
        validated_data.pop("category", None)  # a field stays with its category
        actions.update_category_field(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance
