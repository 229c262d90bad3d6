from django.contrib import admin

from .models import (
    Building,
    CadreLink,
    Estate,
    Household,
    LeaderTownLink,
    RegistryChange,
    Resident,
    Shop,
    Unmasking,
)


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "grid", "address", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "address"]
    raw_id_fields = ["grid"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "estate", "grid", "unit_count", "floor_count", "unmanaged"]
    list_filter = ["unmanaged", "active"]
    search_fields = ["name", "estate__name"]
    raw_id_fields = ["estate", "grid"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    # Personal data stays masked in the admin too: the phone is not listed or searched.
    list_display = ["address", "head_name", "member_count", "grid", "tags", "active"]
    list_filter = ["active"]
    search_fields = ["address", "key"]
    raw_id_fields = ["grid", "estate", "building"]
    exclude = ["phone"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "gender", "birth_year", "id_masked", "relation", "household"]
    search_fields = ["name"]
    raw_id_fields = ["household"]
    exclude = ["phone"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "business_type", "licence_no", "grid"]
    search_fields = ["name", "licence_no"]
    raw_id_fields = ["grid", "building"]
    exclude = ["phone"]


@admin.register(CadreLink)
class CadreLinkAdmin(admin.ModelAdmin):
    list_display = ["household", "cadre", "tier", "unit", "assigned_at", "ended_at"]
    list_filter = ["tier"]
    raw_id_fields = ["household", "cadre", "unit"]


@admin.register(LeaderTownLink)
class LeaderTownLinkAdmin(admin.ModelAdmin):
    list_display = ["leader", "town", "since", "ended_at"]
    raw_id_fields = ["leader", "town"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegistryChange)
class RegistryChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "model", "object_id", "action", "source"]
    list_filter = ["model", "action"]


@admin.register(Unmasking)
class UnmaskingAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "model", "object_id", "field", "reason"]
    list_filter = ["model", "field"]
