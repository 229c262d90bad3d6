"""Admin for the configuration audit log: read only (rows are append-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .audit import describe, model_name
from .models import ConfigChange


@admin.register(ConfigChange)
class ConfigChangeAdmin(admin.ModelAdmin):
    """Written by the configuration verbs; never added, edited or removed here."""

    list_display = ["created_at", "actor_name", "action", "model_label", "object_repr"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "actor_name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["actor"]
    readonly_fields = [
        "created_at",
        "actor",
        "actor_name",
        "action",
        "model",
        "object_id",
        "object_repr",
        "change_list",
    ]
    fields = readonly_fields
    show_full_result_count = False

    @admin.display(description=_("对象类型"), ordering="model")
    def model_label(self, obj: ConfigChange) -> str:
        return model_name(obj.model)

    @admin.display(description=_("变更内容"))
    def change_list(self, obj: ConfigChange):
        rows = describe(obj)
        if not rows:
            return "—"
        return format_html_join(
            "\n", "<div>{}：{} → {}</div>", ((r["label"], r["old"], r["new"]) for r in rows)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
