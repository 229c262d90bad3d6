"""Admin for the two-level taxonomy. Every save goes through the audited verbs in actions.py
(see minhu.core.admin_verbs)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from minhu.core.admin_verbs import VerbAdminMixin, call_verb, inline_changes

from . import actions
from .models import Category, CategoryField

CHILD_FIELDS = (
    "name",
    "code",
    "default_lead_kind",
    "default_lead_unit",
    "keywords",
    "active",
    "sort",
)


class ChildInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = list(CHILD_FIELDS)
    autocomplete_fields = ["default_lead_unit"]
    verbose_name_plural = _("二级分类")


class LevelFilter(admin.SimpleListFilter):
    title = _("层级")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("1", _("一级分类")), ("2", _("二级分类"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(parent__isnull=True)
        if self.value() == "2":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(VerbAdminMixin, admin.ModelAdmin):
    verb_create = actions.create_category
    verb_update = actions.update_category
    verb_delete = actions.delete_category
    verb_fields = actions.FIELDS
    list_display = [
        "__str__",
        "code",
        "default_lead_kind",
        "default_lead_unit",
        "sort",
        "active",
    ]
    list_editable = ["sort", "active"]
    list_filter = [LevelFilter, "active", "default_lead_kind", "parent"]
    search_fields = ["name", "code", "keywords", "parent__name"]
    list_select_related = ["parent", "default_lead_unit"]
    autocomplete_fields = ["parent", "default_lead_unit"]
    # Tree order: each first-level category followed by its children.
    ordering = [Coalesce("parent_id", "id").asc(), F("parent_id").asc(nulls_first=True), "sort"]

    def get_inlines(self, request, obj):
        return [ChildInline] if obj is not None and obj.parent_id is None else []

    def save_inline(self, request, parent, formset):
        actor = request.user
        for child in formset.deleted_objects:
            call_verb(actions.delete_category, child.pk, actor=actor)
        for child, values in inline_changes(formset, CHILD_FIELDS):
            call_verb(actions.update_category, child.pk, actor=actor, **values)
        for child in formset.new_objects:
            values = {n: getattr(child, n) for n in CHILD_FIELDS}
            call_verb(actions.create_category, actor=actor, parent=parent.pk, **values)


@admin.register(CategoryField)
class CategoryFieldAdmin(VerbAdminMixin, admin.ModelAdmin):
    """Per-category extra fields (分类附加字段), saved through the audited verbs."""

    verb_create = actions.create_category_field
    verb_update = actions.update_category_field
    verb_delete = actions.delete_category_field
    verb_fields = (*actions.FIELD_FIELDS, "active")
    list_display = ["label", "code", "category", "datatype", "required", "order", "active"]
    list_filter = ["datatype", "required", "active"]
    search_fields = ["label", "code", "category__name"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]

    def get_readonly_fields(self, request, obj=None):
        return ["category"] if obj is not None else []
