"""Admin for Open311 client keys: issue (the key is shown once), edit, revoke; the use log is
read-only. Every change goes through the audited verbs in actions.py."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from minhu.core.admin_verbs import call_verb

from . import actions
from .models import ApiKey, KeyUse


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "contact",
        "rate_limit",
        "active",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["active"]
    search_fields = ["name", "contact", "prefix"]
    fields = ["name", "contact", "rate_limit"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            values = {n: form.cleaned_data[n] for n in form.changed_data}
            if values:
                call_verb(actions.update_key, obj.pk, actor=request.user, **values)
            return
        row, secret = call_verb(
            actions.issue_key,
            actor=request.user,
            name=form.cleaned_data["name"],
            contact=form.cleaned_data.get("contact", ""),
            rate_limit=form.cleaned_data.get("rate_limit"),
        )
        obj.pk = row.pk
        obj._state.adding = False
        messages.warning(
            request, _("新密钥（只显示这一次，请立即交给客户端）：%(key)s") % {"key": secret}
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request, queryset):
        for key in queryset:
            call_verb(actions.revoke_key, key.pk, actor=request.user)
        messages.success(request, _("已吊销"))


@admin.register(KeyUse)
class KeyUseAdmin(admin.ModelAdmin):
    list_display = ["at", "api_key", "method", "path", "status", "service_request_id"]
    list_filter = ["method", "status"]
    list_select_related = ["api_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
