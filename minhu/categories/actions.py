"""Every change to the two-level taxonomy (一级分类 / 二级分类).

Each verb: keyword-only `actor` (an administrator, or None for the system), one transaction, the
row locked, the rules checked (two levels, unique name under a parent, a lead unit that can
handle appeals), saved with update_fields and an append-only `core.ConfigChange` written in the
same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.audit import (
    check_editable,
    clean_fields,
    delete_recorded,
    deleted,
    lock,
    protected_delete,
    record,
    record_created,
    require_active_owner,
    save_active,
    save_changes,
    snapshot,
)
from minhu.core.errors import InvalidInput
from minhu.core.models import ConfigAction
from minhu.orgs.actions import require_admin
from minhu.orgs.models import HANDLING_KINDS, Unit, UnitKind

from .models import Category, CategoryField, FieldType

FIELDS = (
    "name",
    "code",
    "parent",
    "default_lead_kind",
    "default_lead_unit",
    "keywords",
    "sort",
    "active",
)
EDITABLE = set(FIELDS)
LIMIT_FIELDS = ("step", "category", "urgency", "amount", "measure")


def _category(value: Category | int | None, field: str) -> Category | None:
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Category) else value
    found = Category.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("分类不存在"), code="not_found", field=field)
    return found


def _unit(value: Unit | int | None) -> Unit | None:
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Unit) else value
    found = Unit.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("单位不存在"), code="not_found", field="default_lead_unit")
    return found


def _check(
    cat: Category | None,
    values: dict[str, Any],
    parent: Category | None,
    lead: Unit | None,
    *,
    parent_changed: bool = True,
) -> None:
    """The taxonomy's rules for `cat` (None: a new one) with these values, parent and lead."""
    if parent is not None and parent_changed:
        if cat is not None and parent.pk == cat.pk:
            raise InvalidInput(_("不能以自身为上级"), code="cycle", field="parent")
        if parent.parent_id:
            raise InvalidInput(_("分类最多两级：上级须为一级分类"), code="too_deep", field="parent")
        if cat is not None and cat.children.exists():
            raise InvalidInput(
                _("该分类下已有二级分类，不能再设为二级分类"), code="has_children", field="parent"
            )
    kind = values.get("default_lead_kind", cat.default_lead_kind if cat else "")
    if kind and kind not in HANDLING_KINDS:
        raise InvalidInput(
            _("「%(kind)s」不能承办诉求") % {"kind": UnitKind(kind).label},
            code="invalid_lead_kind",
            field="default_lead_kind",
        )
    if lead is not None and lead.kind not in HANDLING_KINDS:
        raise InvalidInput(
            _("该单位不能承办诉求"), code="invalid_lead_unit", field="default_lead_unit"
        )
    name = values.get("name", cat.name if cat else "")
    clash = Category.objects.filter(parent=parent, name=name)
    if cat is not None:
        clash = clash.exclude(pk=cat.pk)
    if clash.exists():
        raise InvalidInput(_("同一上级下已有同名分类"), code="duplicate_name", field="name")
    code = values.get("code")
    if code is not None:
        clash = Category.objects.filter(code=code)
        if cat is not None:
            clash = clash.exclude(pk=cat.pk)
        if clash.exists():
            raise InvalidInput(_("该编码已被使用"), code="duplicate_code", field="code")


@transaction.atomic
def create_category(
    *,
    actor,
    name: str,
    code: str,
    parent: Category | int | None = None,
    default_lead_kind: str = "",
    default_lead_unit: Unit | int | None = None,
    keywords: str = "",
    sort: int = 0,
    active: bool = True,
) -> Category:
    """A first-level category (no parent) or a second-level one under a first-level parent."""
    require_admin(actor)
    values = clean_fields(
        Category,
        {
            "name": name,
            "code": code,
            "default_lead_kind": default_lead_kind or "",
            "keywords": keywords or "",
            "sort": sort if sort not in (None, "") else 0,
            "active": active,
        },
    )
    top = _category(parent, "parent")
    if top is not None:
        top = lock(Category, top)
    lead = _unit(default_lead_unit)
    _check(None, values, top, lead)
    if values["active"] and top is not None and not top.active:
        raise InvalidInput(
            _("一级分类「%(name)s」已停用") % {"name": top.name},
            code="parent_inactive",
            field="parent",
        )
    cat = Category.objects.create(parent=top, default_lead_unit=lead, **values)
    record_created(actor, cat, FIELDS)
    return cat


@transaction.atomic
def update_category(category: Category | int, *, actor, **changes: Any) -> Category:
    """Change a category; `active` goes through `set_category_active` (own audit row)."""
    require_admin(actor)
    check_editable(changes, EDITABLE)
    active = changes.pop("active", None)
    cat = lock(Category, category)
    plain = {k: v for k, v in changes.items() if k not in ("parent", "default_lead_unit")}
    if plain.get("default_lead_kind") is None and "default_lead_kind" in plain:
        plain["default_lead_kind"] = ""
    values = clean_fields(Category, plain)
    parent = _category(changes["parent"], "parent") if "parent" in changes else cat.parent
    lead = (
        _unit(changes["default_lead_unit"])
        if "default_lead_unit" in changes
        else cat.default_lead_unit
    )
    parent_changed = (parent.pk if parent else None) != cat.parent_id
    if parent_changed and parent is not None:
        parent = lock(Category, parent)  # it must not become a child meanwhile
    _check(cat, values, parent, lead, parent_changed=parent_changed)
    if parent_changed and parent is not None and not parent.active:
        if cat.active and active is not False:
            raise InvalidInput(
                _("一级分类「%(name)s」已停用") % {"name": parent.name},
                code="parent_inactive",
                field="parent",
            )
    save_changes(actor, cat, FIELDS[:-1], {**values, "parent": parent, "default_lead_unit": lead})
    if active is not None:
        set_category_active(cat, actor=actor, active=bool(active))
    cat.refresh_from_db()
    return cat


@transaction.atomic
def set_category_active(category: Category | int, *, actor, active: bool) -> Category:
    """Deactivate (hidden from classification; appeals keep it) or reactivate. Deactivating a
    first-level category deactivates its active children too (one audit row each); a
    second-level category cannot be reactivated under a deactivated parent."""
    require_admin(actor)
    cat = lock(Category, category)
    if cat.active == active:
        return cat
    if active and cat.parent_id:
        require_active_owner(
            Category,
            cat.parent_id,
            _("一级分类「%(name)s」已停用，请先启用"),
            code="parent_inactive",
        )
    if not active and cat.parent_id is None:
        for child in Category.objects.select_for_update().filter(parent=cat, active=True):
            save_active(actor, child, False)
    save_active(actor, cat, active)
    return cat


@transaction.atomic
def delete_category(category: Category | int, *, actor) -> None:
    """Only a category nothing refers to (no children, no appeals): otherwise Conflict
    `protected`; deactivate it instead. Its time-limit rows go with it."""
    require_admin(actor)
    cat = lock(Category, category)
    before = snapshot(cat, FIELDS)
    pk = cat.pk
    limits = [(row, snapshot(row, LIMIT_FIELDS)) for row in cat.time_limits.all()]
    protected_delete(cat)
    for row, row_before in limits:
        record(actor, ConfigAction.DELETE, row, deleted(row_before))
    record(actor, ConfigAction.DELETE, cat, deleted(before), object_id=pk)


# --- per-category fields (分类附加字段) --------------------------------------------------------

FIELD_FIELDS = (
    "category",
    "code",
    "label",
    "datatype",
    "required",
    "order",
    "help_text",
    "options",
)
FIELD_EDITABLE = {*FIELD_FIELDS[1:], "active"}


def _check_field(field: CategoryField | None, category: Category, values: dict[str, Any]) -> None:
    code = values.get("code", field.code if field else "")
    clash = CategoryField.objects.filter(category=category, code=code)
    if field is not None:
        clash = clash.exclude(pk=field.pk)
    if clash.exists():
        raise InvalidInput(_("该分类已有这个字段编码"), code="duplicate_code", field="code")
    datatype = values.get("datatype", field.datatype if field else FieldType.TEXT)
    options = values.get("options", field.options if field else "")
    probe = CategoryField(datatype=datatype, options=options)
    keys = [k for k, _name in probe.option_list()]
    if probe.is_choice and not keys:
        raise InvalidInput(_("单选、多选字段须填写选项"), code="required", field="options")
    if len(keys) != len(set(keys)):
        raise InvalidInput(_("选项编码不能重复"), code="duplicate_option", field="options")
    if any(not k or len(k) > 40 or "," in k for k in keys):
        raise InvalidInput(
            _("选项编码须为1–40个字符且不含逗号"), code="invalid_option", field="options"
        )


@transaction.atomic
def create_category_field(
    *,
    actor,
    category: Category | int,
    code: str,
    label: str,
    datatype: str = FieldType.TEXT,
    required: bool = False,
    order: int = 0,
    help_text: str = "",
    options: str = "",
    active: bool = True,
) -> CategoryField:
    """An extra field appeals of `category` (and of its children) ask for."""
    require_admin(actor)
    cat = _category(category, "category")
    if cat is None:
        raise InvalidInput(_("请选择分类"), code="required", field="category")
    cat = lock(Category, cat)
    values = clean_fields(
        CategoryField,
        {
            "code": code,
            "label": label,
            "datatype": datatype or FieldType.TEXT,
            "required": bool(required),
            "order": order if order not in (None, "") else 0,
            "help_text": help_text or "",
            "options": options or "",
            "active": active,
        },
    )
    _check_field(None, cat, values)
    row = CategoryField.objects.create(category=cat, **values)
    record_created(actor, row, (*FIELD_FIELDS, "active"))
    return row


@transaction.atomic
def update_category_field(field: CategoryField | int, *, actor, **changes: Any) -> CategoryField:
    """Change a field (not its category; stored values keep their code: change it with care)."""
    require_admin(actor)
    check_editable(changes, FIELD_EDITABLE)
    active = changes.pop("active", None)
    row = lock(CategoryField, field)
    values = clean_fields(CategoryField, changes)
    _check_field(row, row.category, values)
    save_changes(actor, row, FIELD_FIELDS[1:], values)
    if active is not None and bool(active) != row.active:
        save_active(actor, row, bool(active))
    return row


@transaction.atomic
def delete_category_field(field: CategoryField | int, *, actor) -> None:
    """Remove a field; values stored with appeals stay (shown under its code)."""
    require_admin(actor)
    row = lock(CategoryField, field)
    delete_recorded(actor, row, (*FIELD_FIELDS, "active"))
