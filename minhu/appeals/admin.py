"""Admin for appeals and their records. The loop's state changes only through the verbs in
actions.py: here the state fields are read-only, the records (events, assignments, summonses,
follow-ups...) are view-only, and editing an appeal's descriptive fields goes through
actions.edit_details (which checks the role and writes an event)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from minhu.core.admin_verbs import VerbAdminMixin
from minhu.core.errors import DomainError

from . import actions, config_actions
from .models import (
    Appeal,
    AppealEvent,
    Assignment,
    Attachment,
    CollectionPoint,
    ExtensionRequest,
    FollowUp,
    Summons,
    Whistle,
)


class ViewOnlyMixin:
    """Rows written by the actions: visible, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    show_change_link = False


class AssignmentInline(ViewOnlyInline):
    model = Assignment
    fields = ["round", "unit", "role", "status", "active", "dispatched_at", "claimed_at", "note"]
    readonly_fields = fields
    ordering = ["-round", "role"]


class ExtensionInline(ViewOnlyInline):
    model = ExtensionRequest
    fields = ["unit", "days", "reason", "status", "requested_at", "decided_by", "decision_note"]
    readonly_fields = fields


class SummonsInline(ViewOnlyInline):
    model = Summons
    fields = ["department", "status", "report_due_at", "reported_at", "share", "answer"]
    readonly_fields = fields


class FollowUpInline(ViewOnlyInline):
    model = FollowUp
    fk_name = "appeal"
    fields = ["created_at", "source", "round", "reached", "contacted", "solved", "satisfaction"]
    readonly_fields = fields


class EventInline(ViewOnlyInline):
    model = AppealEvent
    fields = ["created_at", "kind", "actor_name", "unit", "from_status", "to_status", "note"]
    readonly_fields = fields
    ordering = ["created_at", "id"]


class DueStateFilter(admin.SimpleListFilter):
    title = _("时限状态")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("已超时")),
            ("due_soon", _("即将超时")),
            ("on_time", _("未超时")),
            ("none", _("无时限")),
        ]

    def queryset(self, request, queryset):
        from .queries import filter_due_state

        if self.value() in ("overdue", "due_soon", "on_time", "none"):
            return filter_due_state(queryset, self.value())
        return queryset


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "subject",
        "status",
        "channel",
        "category",
        "urgency",
        "lead_unit",
        "street",
        "created_at",
        "current_due_at",
        "due_label",
    ]
    list_filter = [DueStateFilter, "status", "urgency", "channel", "appellant_kind", "street"]
    search_fields = ["=code", "subject", "appellant_name", "=appellant_phone", "enterprise_name"]
    list_select_related = ["category", "category__parent", "lead_unit", "street"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # tens of millions of rows: no second COUNT(*)
    list_per_page = 50
    raw_id_fields = ["collection_point", "about_unit"]
    inlines = [AssignmentInline, ExtensionInline, SummonsInline, FollowUpInline, EventInline]
    fieldsets = (
        (
            _("诉求"),
            {
                "fields": (
                    "code",
                    "channel",
                    "collection_point",
                    "subject",
                    "detail",
                    "address",
                    ("latitude", "longitude"),
                    "about_unit",
                )
            },
        ),
        (
            _("诉求人"),
            {"fields": ("appellant_kind", "appellant_name", "appellant_phone", "enterprise_name")},
        ),
        (
            _("分类与派单（通过操作修改）"),
            {
                "fields": (
                    "status",
                    "category",
                    "urgency",
                    "grid",
                    "street",
                    "lead_unit",
                    "parent",
                    "registered_by",
                )
            },
        ),
        (
            _("时间与时限"),
            {
                "fields": (
                    ("created_at", "dispatched_at", "claimed_at"),
                    ("contacted_at", "resolved_at", "replied_at", "closed_at"),
                    ("claim_due_at", "contact_due_at", "resolve_due_at"),
                    ("current_step", "current_due_at"),
                )
            },
        ),
        (
            _("办理结果"),
            {
                "fields": (
                    "outcome_kind",
                    "outcome",
                    "measures",
                    ("responsible_office", "responsible_person"),
                    "roadmap",
                    "timetable",
                    "explanation",
                    "reply",
                    ("satisfaction", "solved"),
                    ("reopen_count", "return_count", "extension_days"),
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        editable = set(actions.EDITABLE_FIELDS)
        names = [f.name for f in Appeal._meta.concrete_fields if f.name not in editable]
        return names

    def has_add_permission(self, request):
        return False  # appeals are registered through the desk, the API or the H5 pages

    def has_delete_permission(self, request, obj=None):
        return False  # closed items stay on record

    @admin.display(description=_("时限状态"))
    def due_label(self, obj: Appeal) -> str:
        return {
            "overdue": _("已超时"),
            "due_soon": _("即将超时"),
            "on_time": _("未超时"),
        }.get(obj.due_state(), "—")

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in actions.EDITABLE_FIELDS
        }
        try:
            actions.edit_details(obj.pk, actor=request.user, note="后台修改", **changes)
        except DomainError as exc:
            # Shown on the form; nothing was saved.
            raise ValidationError(exc.message) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)

    def save_related(self, request, form, formsets, change):
        pass  # the inlines are view-only

    def construct_change_message(self, request, form, formsets, add=False):
        return ""  # nothing to log: the AppealEvent written by edit_details is the record

    def log_change(self, request, obj, message):
        pass  # the AppealEvent written by edit_details is the record


@admin.register(AppealEvent)
class AppealEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "appeal",
        "kind",
        "actor_name",
        "unit",
        "from_status",
        "to_status",
    ]
    list_filter = ["kind"]
    search_fields = ["=appeal__code", "actor_name", "note"]
    list_select_related = ["appeal", "unit"]
    date_hierarchy = "created_at"
    raw_id_fields = ["appeal", "actor", "unit"]
    show_full_result_count = False


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "appeal",
        "unit",
        "role",
        "status",
        "active",
        "round",
        "dispatched_at",
        "claimed_at",
    ]
    list_filter = ["status", "role", "active"]
    search_fields = ["=appeal__code", "unit__name"]
    list_select_related = ["appeal", "unit"]
    show_full_result_count = False


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "appeal",
        "unit",
        "days",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    ]
    list_filter = ["status"]
    search_fields = ["=appeal__code", "unit__name", "reason"]
    list_select_related = ["appeal", "unit", "requested_by", "decided_by"]


@admin.register(Whistle)
class WhistleAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["appeal", "unit", "raised_by", "raised_at"]
    search_fields = ["=appeal__code", "unit__name", "reason"]
    list_select_related = ["appeal", "unit", "raised_by"]
    date_hierarchy = "raised_at"


@admin.register(Summons)
class SummonsAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "appeal",
        "department",
        "status",
        "report_due_at",
        "reported_at",
        "on_time",
        "answered_at",
    ]
    list_filter = ["status", "department"]
    search_fields = ["=appeal__code", "department__name"]
    list_select_related = ["appeal", "department"]

    @admin.display(description=_("按时报到"), boolean=True)
    def on_time(self, obj: Summons) -> bool | None:
        return obj.reported_on_time


@admin.register(FollowUp)
class FollowUpAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "appeal",
        "source",
        "unit",
        "round",
        "reached",
        "contacted",
        "solved",
        "satisfaction",
        "created_at",
    ]
    list_filter = ["source", "satisfaction", "reached", "solved"]
    search_fields = ["=appeal__code", "unit__name", "comment"]
    list_select_related = ["appeal", "unit"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "appeal", "content_type", "size", "by_handler", "created_at"]
    list_filter = ["by_handler", "content_type"]
    search_fields = ["=appeal__code", "name"]
    list_select_related = ["appeal"]


@admin.register(CollectionPoint)
class CollectionPointAdmin(VerbAdminMixin, admin.ModelAdmin):
    """Saved through config_actions (audited)."""

    verb_create = config_actions.create_collection_point
    verb_update = config_actions.update_collection_point
    verb_delete = config_actions.delete_collection_point
    verb_fields = config_actions.FIELDS
    list_display = ["name", "code", "unit", "channel", "is_service_hall", "active"]
    list_filter = ["channel", "is_service_hall", "active"]
    search_fields = ["name", "code", "address", "unit__name"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
