"""Admin for the working-day calendar overrides, time-limit policies and recorded misses. The
overrides and policies are saved through the audited verbs in actions.py (see
minhu.core.admin_verbs)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from minhu.core.admin_verbs import VerbAdminMixin

from . import actions
from .calendar import official_is_workday
from .models import CalendarOverride, DeadlineMiss, TimeLimitPolicy, Urgency, kind_choices

WEEKDAYS = "一二三四五六日"


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(VerbAdminMixin, admin.ModelAdmin):
    verb_create = actions.create_calendar_override
    verb_update = actions.update_calendar_override
    verb_delete = actions.delete_calendar_override
    verb_fields = actions.OVERRIDE_FIELDS
    list_display = ["date", "weekday", "is_workday", "official", "name"]
    list_editable = ["is_workday", "name"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarOverride) -> str:
        return "周" + WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("官方日历"))
    def official(self, obj: CalendarOverride) -> str:
        return _("上班") if official_is_workday(obj.date) else _("放假")


class TimeLimitPolicyForm(forms.ModelForm):
    urgency = forms.ChoiceField(label=_("紧急程度"), required=False)

    class Meta:
        model = TimeLimitPolicy
        fields = ["step", "kind", "category", "urgency", "amount", "measure"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["urgency"].choices = [("", _("（任意）")), *Urgency.choices]
        self.fields["kind"].choices = [("", _("（全部类型）")), *kind_choices()]


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(VerbAdminMixin, admin.ModelAdmin):
    verb_create = actions.create_time_limit
    verb_update = actions.update_time_limit
    verb_delete = actions.delete_time_limit
    verb_fields = actions.LIMIT_FIELDS
    form = TimeLimitPolicyForm
    list_display = ["step", "kind", "category", "urgency_label", "amount", "measure"]
    list_filter = ["step", "kind", "measure", "urgency"]
    search_fields = ["category__name", "category__code"]
    list_select_related = ["category", "category__parent"]
    autocomplete_fields = ["category"]
    ordering = ["step", "kind", "category__id", "urgency"]

    @admin.display(description=_("紧急程度"), ordering="urgency")
    def urgency_label(self, obj: TimeLimitPolicy) -> str:
        return Urgency(obj.urgency).label if obj.urgency in Urgency.values else _("（任意）")


@admin.register(DeadlineMiss)
class DeadlineMissAdmin(admin.ModelAdmin):
    """Recorded by the actions and the sweep; a record, never edited."""

    list_display = ["appeal", "step", "unit", "due_at", "detected_at", "done_at"]
    list_filter = ["step", ("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["appeal__code", "unit__name"]
    list_select_related = ["appeal", "unit"]
    date_hierarchy = "detected_at"
    raw_id_fields = ["appeal"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
