from django.contrib import admin, messages

from minhu.core.errors import DomainError

from . import actions
from .models import (
    EvaluationConfig,
    EvaluationEvent,
    HarmfulConduct,
    Interview,
    NegativeIndicator,
    Nomination,
    RankingSnapshot,
    RedBlackRule,
    Supervision,
)


@admin.register(EvaluationConfig)
class EvaluationConfigAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "active",
        "weight_response",
        "weight_solved",
        "weight_satisfaction",
        "basic_weight",
        "period_start_day",
        "updated_at",
    ]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        fields = {f: getattr(obj, f) for f in actions.CONFIG_FIELDS}
        try:
            saved = actions.save_config(
                actor=request.user,
                config=obj.pk if change else None,
                activate=obj.active,
                **fields,
            )
            obj.pk = saved.pk
        except DomainError as e:
            messages.error(request, e.message)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.active


@admin.register(NegativeIndicator)
class NegativeIndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "sort"]
    list_editable = ["active", "sort"]


@admin.register(HarmfulConduct)
class HarmfulConductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "sort"]
    list_editable = ["active", "sort"]


@admin.register(RedBlackRule)
class RedBlackRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "list_kind", "rule_type", "group", "threshold", "conduct", "active"]
    list_editable = ["active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period", "group", "version", "frozen_at", "published_by", "superseded"]
    list_filter = ["group", "superseded"]


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ["period", "unit", "source", "status", "score", "held_at"]
    list_filter = ["status", "source"]


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = ["period", "list_kind", "subject_name", "status", "nominated_at"]
    list_filter = ["list_kind", "status"]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdmin):
    list_display = ["unit", "appeal", "status", "auto", "due_at", "created_at"]
    list_filter = ["status", "auto"]


@admin.register(EvaluationEvent)
class EvaluationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "target_type", "target_id", "actor_name", "note"]
    list_filter = ["kind"]
