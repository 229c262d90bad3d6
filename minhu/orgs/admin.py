"""Admin for the organisation: the unit tree, users and their memberships. Every save goes
through the audited verbs in actions.py (see minhu.core.admin_verbs)."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from minhu.core.admin_verbs import Refused, VerbAdminMixin, call_verb, inline_changes

from . import actions
from .models import ALLOWED_PARENTS, Membership, Unit, UnitKind, User

MEMBERSHIP_INLINE_FIELDS = ("unit", "role", "active")


def _create_membership(*, actor, user, **values) -> Membership:
    return actions.add_membership(user, actor=actor, **values)


def _password_form(actor) -> type[AdminPasswordChangeForm]:
    """The admin's set-password form, saving through actions.set_password (audited)."""

    class VerbPasswordChangeForm(AdminPasswordChangeForm):
        def clean(self):
            data = super().clean()
            if data.get("set_usable_password") is False:
                self.add_error(None, _("不支持禁用密码登录，请停用该账号"))
            password = data.get("password1")
            if password and not self.errors:
                problems = actions.password_problems(password, self.user)
                if problems:
                    self.add_error("password2", "；".join(problems))
            return data

        def save(self, commit: bool = True) -> User:
            self.user = call_verb(
                actions.set_password,
                self.user.pk,
                actor=actor,
                password=self.cleaned_data["password1"],
            )
            return self.user

    return VerbPasswordChangeForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["unit", "role", "active"]
    verbose_name = _("任职")
    verbose_name_plural = _("任职（单位与角色）")


@admin.register(User)
class UserAdmin(VerbAdminMixin, DjangoUserAdmin):
    """Accounts change through actions.create_user / update_user / set_password and the
    membership verbs. The Django flags (staff, superuser, groups, permissions) have no verb:
    shown read-only here (`minhu createsuperuser` makes a superuser)."""

    inlines = [MembershipInline]
    verb_create = actions.create_user
    verb_update = actions.update_user
    verb_fields = ("username", "display_name", "phone", "email", "is_active")
    readonly_fields = [
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "last_login",
        "date_joined",
    ]
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

    def verb_values(self, request, form, change):
        values = super().verb_values(request, form, change)
        if not change:
            values["password"] = form.cleaned_data.get("password1") or ""
        return values

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated (is_active), never deleted: they sign records

    def save_inline(self, request, parent, formset):
        actor = request.user
        for m in formset.deleted_objects:
            call_verb(actions.remove_membership, m.pk, actor=actor)
        for m, values in inline_changes(formset, MEMBERSHIP_INLINE_FIELDS):
            call_verb(actions.update_membership, m.pk, actor=actor, **values)
        for m in formset.new_objects:
            call_verb(
                actions.add_membership,
                parent.pk,
                actor=actor,
                unit=m.unit,
                role=m.role,
                active=m.active,
            )

    def user_change_password(self, request, id, form_url=""):
        # A per-request copy carries the form bound to this request's actor.
        view = copy.copy(self)
        view.change_password_form = _password_form(request.user)
        try:
            return DjangoUserAdmin.user_change_password(view, request, id, form_url)
        except Refused as exc:
            self.message_user(request, exc.error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)


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
class UnitAdmin(VerbAdminMixin, admin.ModelAdmin):
    form = UnitAdminForm
    verb_create = actions.create_unit
    verb_update = actions.update_unit
    verb_delete = actions.delete_unit
    verb_fields = actions.UNIT_FIELDS
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
        # Indented with spaces, not style="" (the Content-Security-Policy allows no inline style).
        return format_html(
            "<span>{}{}{}</span>",
            "\u3000" * obj.depth,
            "└ " if obj.depth else "",
            obj.name,
        )

    @admin.display(description=_("人员"), ordering="member_count")
    def members(self, obj: Unit) -> int:
        return obj.member_count


@admin.register(Membership)
class MembershipAdmin(VerbAdminMixin, admin.ModelAdmin):
    verb_create = _create_membership
    verb_update = actions.update_membership
    verb_delete = actions.remove_membership
    verb_fields = ("user", "unit", "role", "active")
    list_display = ["user", "unit", "role", "active"]
    list_filter = ["role", "active", "unit__kind"]
    search_fields = ["user__username", "user__display_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]
