from django.contrib import admin

from .models import Decision, Meeting, Member, Room, Topic


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "active"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "room", "active"]
    list_filter = ["role"]
    search_fields = ["name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "room", "source", "status", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["title"]

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the verbs (consultation.actions)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["topic", "room", "starts_at", "status"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["text", "unit", "due_on", "item"]

    def has_change_permission(self, request, obj=None):
        return False
