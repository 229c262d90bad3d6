"""Admin for the organisation: the unit tree, users and their memberships."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ALLOWED_PARENTS, Membership, Unit, UnitKind, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["unit", "role", "active"]
    verbose_name = _("任职")
    verbose_name_plural = _("任职（单位与角色）")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "display_name",
        "phone",
        "roles",
        "is_active",
        "is_staff",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "memberships__role"]
    search_fields = ["username", "display_name", "phone", "memberships__unit__name"]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "phone", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "phone", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__unit")

    @admin.display(description=_("任职"))
    def roles(self, obj: User) -> str:
        return "；".join(
            f"{m.unit.name}·{m.get_role_display()}" for m in obj.memberships.all() if m.active
        )

    def get_search_results(self, request, queryset, search_term):
        qs, _dups = super().get_search_results(request, queryset, search_term)
        return qs, True  # the membership join may repeat a user


class UnitAdminForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "code", "kind", "parent", "phone", "active", "paired_communities"]

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        if kind:
            allowed = ALLOWED_PARENTS.get(kind, set())
            if (parent.kind if parent else None) not in allowed:
                names = "、".join(str(UnitKind(k).label) for k in allowed if k) or _("无（顶级）")
                self.add_error(
                    "parent",
                    _("「%(kind)s」的上级应为：%(names)s")
                    % {
                        "kind": UnitKind(kind).label,
                        "names": names,
                    },
                )
        if parent and self.instance.pk and parent.path.startswith(self.instance.path or "~"):
            self.add_error("parent", _("上级单位不能是本单位或其下级"))
        return data


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitAdminForm
    list_display = ["tree_name", "code", "kind", "parent", "phone", "members", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
    ordering = ["path"]  # the materialised path: every unit right under its parent
    list_select_related = ["parent"]
    list_per_page = 200
    autocomplete_fields = ["parent"]
    filter_horizontal = ["paired_communities"]
    readonly_fields = ["path", "depth"]
    fields = ["name", "code", "kind", "parent", "phone", "active", "paired_communities", "path"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))
        )

    @admin.display(description=_("名称"), ordering="path")
    def tree_name(self, obj: Unit):
        return format_html(
            '<span style="padding-left:{}em">{}{}</span>',
            obj.depth * 1.5,
            "└ " if obj.depth else "",
            obj.name,
        )

    @admin.display(description=_("人员"), ordering="member_count")
    def members(self, obj: Unit) -> int:
        return obj.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "active"]
    list_filter = ["role", "active", "unit__kind"]
    search_fields = ["user__username", "user__display_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]
