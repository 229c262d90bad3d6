"""Filters for the appeal list. Every filter is one indexed condition or an EXISTS subquery;
none adds a query per row."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from minhu.appeals.kinds import channel_choices
from minhu.appeals.models import (
    OPEN_STATUSES,
    Appeal,
    Assignment,
    OutcomeKind,
    Status,
    Summons,
    Urgency,
)
from minhu.appeals.queries import DueState, due_state_q
from minhu.appeals.search import attribute_filter, search_appeals
from minhu.orgs.api.filters import DateFilter, IntFilter, MultiChoiceFilter


class StableOrderingFilter(df.OrderingFilter):
    """Ordering with the id as the last key, so pages never overlap."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            keys = list(qs.query.order_by)
            last = keys[-1] if keys else ""
            qs = qs.order_by(*keys, "-id" if str(last).startswith("-") else "id")
        return qs


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AppealFilter(df.FilterSet):
    status = MultiChoiceFilter(choices=Status.choices, help_text="One or more statuses")
    channel = MultiChoiceFilter(choices=channel_choices())
    urgency = MultiChoiceFilter(choices=Urgency.choices)
    outcome_kind = MultiChoiceFilter(
        choices=OutcomeKind.choices,
        help_text="How it was handled: on_spot (当场解决), coordinated (协调解决), long_term (长期推进)",
    )
    lead_unit = IntFilter(field_name="lead_unit_id", help_text="Lead unit id")
    unit = IntFilter(
        method="filter_unit",
        help_text="Unit id holding an active assignment (lead or assisting) or a summons",
    )
    street = IntFilter(field_name="street_id", help_text="Street/town id")
    grid = IntFilter(field_name="grid_id", help_text="Grid id")
    category = IntFilter(
        method="filter_category",
        help_text="Category id; a first-level category includes its children",
    )
    due_state = MultiChoiceFilter(
        choices=[(s, s) for s in DueState.FILTERABLE],
        method="filter_due_state",
        help_text="overdue / due_soon / on_time (from the current step's due time and "
        "MINHU_DUE_SOON_HOURS), none: no running clock",
    )
    is_open = df.BooleanFilter(method="filter_open", help_text="Open (not closed nor merged)")
    created_after = DateFilter(method="filter_created_after", help_text="On or after (date)")
    created_before = DateFilter(method="filter_created_before", help_text="On or before (date)")
    q = df.CharFilter(method="filter_q", help_text="Text in code, subject, detail or address")
    attribute = df.CharFilter(
        method="filter_attribute",
        help_text="A per-category field's value, `code:value` (text: contains; choices: the "
        "option key; several `attribute` parameters must all match)",
    )
    ordering = StableOrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("current_due_at", "current_due_at"),
            ("updated_at", "updated_at"),
            ("urgency", "urgency"),
            ("status", "status"),
            ("code", "code"),
            ("reopen_count", "reopen_count"),
        ),
        help_text="e.g. `-created_at` (default), `current_due_at`",
    )

    class Meta:
        model = Appeal
        fields: list[str] = []

    def filter_unit(self, qs: QuerySet, name: str, value) -> QuerySet:
        assigned = Assignment.objects.filter(appeal=OuterRef("pk"), unit_id=value, active=True)
        summoned = Summons.objects.filter(appeal=OuterRef("pk"), department_id=value)
        return qs.filter(Exists(assigned) | Exists(summoned))

    def filter_category(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(Q(category_id=value) | Q(category__parent_id=value))

    def filter_due_state(self, qs: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return qs
        now = timezone.now()
        q = Q()
        for state in value:
            q |= due_state_q(state, now)
        return qs.filter(q)

    def filter_open(self, qs: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return qs
        cond = Q(status__in=list(OPEN_STATUSES))
        return qs.filter(cond) if value else qs.exclude(cond)

    def filter_created_after(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(created_at__gte=_start_of(value))

    def filter_created_before(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return search_appeals(qs, value)

    def filter_attribute(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        for item in self.data.getlist(name) if hasattr(self.data, "getlist") else [value]:
            qs = attribute_filter(qs, item)
        return qs
