"""Django admin: the gazetteer (places with aliases, grid polygons) and label aliases are edited
here; models, the catalogue, settings and decisions are changed only through the routing pages
(verbs with an audit trail) and are read-only here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    ClassifierModel,
    DispatchRule,
    GridArea,
    LabelAlias,
    MonthlyProblem,
    Place,
    RoutingDecision,
)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "grid", "area", "aliases", "active", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "aliases", "grid__name", "area__name")
    autocomplete_fields = ()
    raw_id_fields = ("grid", "area")
    list_select_related = ("grid", "area")


@admin.register(GridArea)
class GridAreaAdmin(admin.ModelAdmin):
    list_display = ("grid", "min_lng", "max_lng", "min_lat", "max_lat", "updated_at")
    search_fields = ("grid__name",)
    raw_id_fields = ("grid",)
    readonly_fields = ("min_lng", "max_lng", "min_lat", "max_lat")
    list_select_related = ("grid",)


@admin.register(LabelAlias)
class LabelAliasAdmin(admin.ModelAdmin):
    list_display = ("label", "category")
    search_fields = ("label", "category__name")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClassifierModel)
class ClassifierModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "created_at", "active", "trained_on", "n_samples", "macro_f1_col")
    exclude = ("blob",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    @admin.display(description=_("macro-F1"))
    def macro_f1_col(self, obj):
        return obj.macro_f1


@admin.register(DispatchRule)
class DispatchRuleAdmin(ReadOnlyAdmin):
    list_display = ("category", "area", "lead_unit", "lead_local", "active", "updated_at")
    list_filter = ("active",)
    list_select_related = ("category", "area", "lead_unit")


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "kind", "model_version", "confidence", "auto", "corrected")
    list_filter = ("kind", "auto", "corrected")
    raw_id_fields = ("appeal",)
    list_select_related = ("appeal",)


@admin.register(MonthlyProblem)
class MonthlyProblemAdmin(ReadOnlyAdmin):
    list_display = ("month", "title", "street", "volume", "support", "status")
    list_filter = ("status",)
