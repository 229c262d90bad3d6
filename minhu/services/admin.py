from django.contrib import admin

from .models import Service, ServiceOrder


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "provider", "price", "time_limit_days", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False  # through the verbs (the catalogue page)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceOrder)
class ServiceOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "service", "community", "channel", "status", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["number"]
    exclude = ["phone", "ip_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
