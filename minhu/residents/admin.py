"""Read-only admin for the public's ratings (they are append-only records)."""

from django.contrib import admin

from .models import EnterpriseRating, ServiceRating


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceRating)
class ServiceRatingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "point", "satisfaction", "verified", "window", "comment"]
    list_filter = ["satisfaction", "verified", "point"]
    list_select_related = ["point"]
    date_hierarchy = "created_at"


@admin.register(EnterpriseRating)
class EnterpriseRatingAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "department",
        "enterprise_name",
        "satisfaction",
        "verified",
        "appeal",
    ]
    list_filter = ["satisfaction", "verified", "department"]
    list_select_related = ["department", "appeal"]
    search_fields = ["enterprise_name"]
    date_hierarchy = "created_at"
