"""Filters shared by every app's API, and the organisation's own."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from minhu.orgs.models import Membership, Role, Unit, UnitKind, User


class CommaMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts `?status=new&status=dispatched` and `?status=new,dispatched`."""

    def to_python(self, value):
        values = super().to_python(value)
        out: list[str] = []
        for v in values:
            out += [p.strip() for p in v.split(",") if p.strip()]
        return out


class MultiChoiceFilter(df.MultipleChoiceFilter):
    """Several values of one column of the listed model: `column IN (...)`, without the SELECT
    DISTINCT django-filter adds by default (a condition on the row's own column cannot repeat
    rows, and DISTINCT makes PostgreSQL sort and de-duplicate the whole list and its count).
    Pass distinct=True for a field across a to-many join."""

    field_class = CommaMultipleChoiceField

    def __init__(self, *args, distinct: bool = False, **kwargs):
        super().__init__(*args, distinct=distinct, **kwargs)


MAX_INT64 = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_INT64})
class IntFilter(df.NumberFilter):
    """An integer query parameter (object ids): "abc", a negative number or one past the
    database's 64-bit integers (`?grid=9223372036854775808`) is 400 `invalid`. Every integer
    filter of the API is one of these (or a subclass with narrower bounds)."""

    field_class = forms.IntegerField
    min_value: int = 0
    max_value: int = MAX_INT64

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", self.min_value)
        kwargs.setdefault("max_value", self.max_value)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(IntFilter):
    """A calendar year (`?year=2026`): 1–9999, the years Python's dates have."""

    min_value = 1
    max_value = 9999


class BoundedDateField(forms.DateField):
    """A date from 1900 to 9998: `0001-01-01` as a local day starts before the first UTC moment
    the database holds, and the day after `9999-12-31` does not exist."""

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not 1900 <= day.year <= 9998:
            raise forms.ValidationError(_("日期超出范围（1900–9998年）"), code="invalid")
        return day


class DateFilter(df.DateFilter):
    """Every date query parameter of the API (`?created_after=`, `?date_before=`)."""

    field_class = BoundedDateField


class TextSearchFilter(df.CharFilter):
    """`?q=`: rows where any of `fields` contains the text (case-insensitive; blank = all)."""

    def __init__(self, *args, fields: tuple[str, ...], **kwargs):
        self.search_fields = fields
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(query)


class UnitFilter(df.FilterSet):
    kind = MultiChoiceFilter(choices=UnitKind.choices, help_text="One or more kinds")
    parent = IntFilter(field_name="parent_id", help_text="Direct children of this unit")
    under = IntFilter(method="filter_under", help_text="The whole subtree of this unit")
    active = df.BooleanFilter()
    q = df.CharFilter(method="filter_q", help_text="Text in name or code")

    class Meta:
        model = Unit
        fields: list[str] = []

    def filter_under(self, qs: QuerySet, name: str, value) -> QuerySet:
        path = Unit.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(path__startswith=path)

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs


class UserFilter(df.FilterSet):
    unit = IntFilter(field_name="memberships__unit_id", distinct=True)
    role = df.ChoiceFilter(field_name="memberships__role", choices=Role.choices, distinct=True)
    is_active = df.BooleanFilter()
    q = df.CharFilter(method="filter_q", help_text="Text in username, name or phone")

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(username__icontains=value)
            | Q(display_name__icontains=value)
            | Q(phone__icontains=value)
        )


class MembershipFilter(df.FilterSet):
    user = IntFilter(field_name="user_id")
    unit = IntFilter(field_name="unit_id")
    role = df.ChoiceFilter(choices=Role.choices)
    active = df.BooleanFilter()

    class Meta:
        model = Membership
        fields: list[str] = []
