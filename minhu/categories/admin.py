"""Admin for the two-level taxonomy."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .models import Category


class ChildInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = [
        "name",
        "code",
        "default_lead_kind",
        "default_lead_unit",
        "keywords",
        "active",
        "sort",
    ]
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
class CategoryAdmin(admin.ModelAdmin):
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
