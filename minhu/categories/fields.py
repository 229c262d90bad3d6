"""Per-category fields (分类附加字段): which fields an appeal of a category asks for, their
validation, and how stored values read for people.

Values are stored in `Appeal.attributes` as `{code: value}`: text and dates (YYYY-MM-DD) as
strings, numbers as JSON numbers, a single choice as its option key, a multiple choice as a
list of keys. The staff intake, the residents' H5 form, the API and Open311 all validate through
`clean_attributes`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput

from .models import Category, CategoryField, FieldType

TEXT_MAX = 500


def fields_for(category: Category | None) -> list[CategoryField]:
    """The active fields an appeal of `category` asks for: its parent's, then its own."""
    if category is None:
        return []
    ids = [category.parent_id, category.pk] if category.parent_id else [category.pk]
    rows = list(
        CategoryField.objects.filter(category_id__in=ids, active=True).select_related("category")
    )
    rows.sort(key=lambda f: (ids.index(f.category_id), f.order, f.pk))
    return rows


def categories_with_fields(ids: Iterable[int] | None = None) -> set[int]:
    """The ids of categories that ask for at least one field (their own or their parent's)."""
    own = set(CategoryField.objects.filter(active=True).values_list("category_id", flat=True))
    kids = set(Category.objects.filter(parent_id__in=own).values_list("pk", flat=True))
    out = own | kids
    return out if ids is None else out & set(ids)


def _error(f: CategoryField, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, field=f"attributes.{f.code}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def clean_value(f: CategoryField, value: Any) -> Any:
    """One field's value, converted; raises InvalidInput (field `attributes.<code>`)."""
    label = f.label
    if f.datatype == FieldType.TEXT:
        text = str(value).strip()
        if len(text) > TEXT_MAX:
            raise _error(
                f, _("%(label)s不能超过%(n)s字") % {"label": label, "n": TEXT_MAX}, "too_long"
            )
        return text
    if f.datatype == FieldType.NUMBER:
        if isinstance(value, bool):
            raise _error(f, _("%(label)s须为数字") % {"label": label}, "invalid_number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _error(f, _("%(label)s须为数字") % {"label": label}, "invalid_number") from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise _error(f, _("%(label)s须为数字") % {"label": label}, "invalid_number")
        return int(number) if number == number.to_integral_value() else float(number)
    if f.datatype == FieldType.DATE:
        text = str(value).strip()[:10]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise _error(
                f, _("%(label)s须为日期（如 2026-12-07）") % {"label": label}, "invalid_date"
            ) from None
    keys = [k for k, _name in f.option_list()]
    if f.datatype == FieldType.SINGLE:
        if isinstance(value, list | tuple):
            if len(value) != 1:
                raise _error(f, _("%(label)s只能选一项") % {"label": label}, "invalid_choice")
            value = value[0]
        key = str(value).strip()
        if key not in keys:
            raise _error(f, _("%(label)s的选项不正确") % {"label": label}, "invalid_choice")
        return key
    # multiple choice: a list, or one string of keys separated by commas
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    chosen = []
    for item in items:
        key = str(item).strip()
        if not key:
            continue
        if key not in keys:
            raise _error(f, _("%(label)s的选项不正确") % {"label": label}, "invalid_choice")
        if key not in chosen:
            chosen.append(key)
    return [k for k in keys if k in chosen]


def clean_attributes(
    category: Category | None, raw: Mapping[str, Any] | None, *, partial: bool = False
) -> dict[str, Any]:
    """The validated `{code: value}` of `category`'s fields from `raw` (blank values dropped).
    Unknown codes: InvalidInput `unknown_attribute`; a required field left blank: `required`
    (unless `partial`)."""
    raw = dict(raw or {})
    fields = fields_for(category)
    known = {f.code: f for f in fields}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInput(
            _("该分类没有这个附加字段：%(code)s") % {"code": unknown[0]},
            code="unknown_attribute",
            field=f"attributes.{unknown[0]}",
        )
    out: dict[str, Any] = {}
    for f in fields:
        value = raw.get(f.code)
        if _blank(value):
            if f.required and not partial:
                raise _error(f, _("请填写%(label)s") % {"label": f.label}, "required")
            continue
        cleaned = clean_value(f, value)
        if _blank(cleaned):
            if f.required and not partial:
                raise _error(f, _("请填写%(label)s") % {"label": f.label}, "required")
            continue
        out[f.code] = cleaned
    return out


def display_value(f: CategoryField | None, value: Any) -> str:
    if f is not None and f.is_choice:
        names = dict(f.option_list())
        keys = value if isinstance(value, list) else [value]
        return "、".join(names.get(str(k), str(k)) for k in keys)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _all_fields(category: Category | None) -> dict[str, CategoryField]:
    """Every field of `category` and its parent, active ones first (stored values of
    deactivated fields still read with their label)."""
    fields = {f.code: f for f in fields_for(category)}
    if category is not None:
        ids = [category.pk, category.parent_id]
        for f in CategoryField.objects.filter(category_id__in=ids, active=False):
            fields.setdefault(f.code, f)
    return fields


def display_attributes(
    category: Category | None,
    attributes: Mapping[str, Any] | None,
    cache: dict | None = None,
) -> list[tuple[str, str]]:
    """[(label, value as text)] of stored attributes, in the fields' order (values of fields
    since removed keep their code as the label). `cache`: a dict reused across many appeals
    (ledgers), one query per category."""
    attributes = attributes or {}
    if not attributes:
        return []
    key = category.pk if category is not None else None
    if cache is not None and key in cache:
        fields = cache[key]
    else:
        fields = _all_fields(category)
        if cache is not None:
            cache[key] = fields
    order = {code: i for i, code in enumerate(fields)}
    rows = []
    for code in sorted(attributes, key=lambda c: (order.get(c, len(order)), c)):
        f = fields.get(code)
        rows.append((f.label if f else code, display_value(f, attributes[code])))
    return rows


def attributes_text(
    category: Category | None, attributes: Mapping[str, Any] | None, cache: dict | None = None
) -> str:
    """One line for ledgers: 「名称：值；名称：值」."""
    rows = display_attributes(category, attributes, cache)
    return "；".join(f"{label}：{value}" for label, value in rows)
