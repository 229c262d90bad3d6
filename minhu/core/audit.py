"""Plumbing for the configuration verbs (orgs, categories, deadlines, collection points) and
their audit trail, `ConfigChange`.

A verb locks its row (`lock`), checks its input (`clean_fields` for each field's own rules, then
its domain guards), takes a `snapshot` of the audited fields before and after, saves what
`diff` says changed and `record`s one append-only row in the same transaction:

    before = snapshot(unit, UNIT_FIELDS)
    ...assign...
    changes = diff(before, snapshot(unit, UNIT_FIELDS))
    unit.save(update_fields=db_fields(Unit, changes))
    record(actor, ConfigAction.UPDATE, unit, changes)

`save_changes` does exactly this; `record_created`, `save_active` and `delete_recorded` are the
create, (de)activate and delete counterparts, so each verb keeps only its own rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import Conflict, InvalidInput, NotFound
from .models import ConfigAction, ConfigChange

M = TypeVar("M", bound=models.Model)

PASSWORD_FIELD = "password"
PASSWORD_CHANGED = "password changed"
PASSWORD_SET = "password set"
# Audited facts that are no model field (label for the change log).
LOGIN_LOCKED = "login_locked"
EXTRA_LABELS = {LOGIN_LOCKED: gettext_lazy("登录锁定")}

# The models whose changes are recorded (for the filters of the log).
TRACKED_MODELS = (
    "orgs.unit",
    "orgs.user",
    "orgs.membership",
    "categories.category",
    "categories.categoryfield",
    "open311.apikey",
    "deadlines.timelimitpolicy",
    "deadlines.calendaroverride",
    "appeals.collectionpoint",
)


def actor_name(actor) -> str:
    if actor is None:
        return _("系统")
    return str(actor)[:60]


# --- values ---------------------------------------------------------------------------------


def ref(obj: models.Model | None) -> dict[str, Any] | None:
    """A related row as it appears in `changes`: its id and its name at the time."""
    if obj is None:
        return None
    return {"id": obj.pk, "name": str(obj)[:200]}


def jsonable(value: Any, field: models.Field | None = None) -> Any:
    """A field value as plain JSON (decimals at the field's precision, dates in ISO 8601)."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return ref(value)
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places))
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def field_value(obj: models.Model, name: str) -> Any:
    """The JSON value of one field of `obj` (a query for related rows not loaded yet)."""
    field = obj._meta.get_field(name)
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted((ref(o) for o in getattr(obj, name).all()), key=lambda r: r["id"])
    if field.is_relation:
        if getattr(obj, field.attname) is None:
            return None
        return ref(getattr(obj, name))
    return jsonable(getattr(obj, field.attname), field)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: field_value(obj, name) for name in fields}


def _same(a: Any, b: Any) -> bool:
    """Related rows compare by id (their names are only for people)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.get("id") == b.get("id")
    if isinstance(a, list) and isinstance(b, list):
        return [_key(x) for x in a] == [_key(x) for x in b]
    return a == b


def _key(x: Any) -> Any:
    return x.get("id") if isinstance(x, dict) else x


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value differs."""
    out: dict[str, list[Any]] = {}
    for name in after:
        old, new = before.get(name), after[name]
        if not _same(old, new):
            out[name] = [old, new]
    return out


def created(after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The changes of a new row: every field that has a value."""
    return {k: [None, v] for k, v in after.items() if v not in (None, "", [])}


def deleted(before: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [v, None] for k, v in before.items() if v not in (None, "", [])}


def db_fields(model: type[models.Model], changes: Mapping[str, Any]) -> list[str]:
    """The changed fields that are columns of `model` (for `save(update_fields=...)`)."""
    out = []
    for name in changes:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "concrete", False) and not field.many_to_many:
            out.append(name)
    return out


# --- verbs' plumbing ------------------------------------------------------------------------


def lock(model: type[M], value: M | int | str) -> M:
    """Re-read and lock one row (NotFound when it is gone)."""
    pk = value.pk if isinstance(value, models.Model) else value
    try:
        return model.objects.select_for_update().get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def clean_fields(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """Each plain field's own rules (required, length, choices, slug, e-mail ...), the value
    converted to its Python type. Related fields are passed through. Raises InvalidInput with a
    Chinese message, a stable code and the field."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise InvalidInput(
                _("未知的字段：%(name)s") % {"name": name}, code="unknown_field", field=name
            )
        if field.is_relation:
            out[name] = value
            continue
        if isinstance(value, str):
            value = value.strip()
        try:
            out[name] = field.clean(value, None)
        except ValidationError as exc:
            label = str(field.verbose_name)
            error = exc.error_list[0]
            code = error.code or "invalid"
            if code in ("blank", "null", "required"):
                raise InvalidInput(
                    _("请填写%(label)s") % {"label": label}, code="required", field=name
                )
            if code == "invalid_choice":
                raise InvalidInput(
                    _("%(label)s不正确") % {"label": label}, code="invalid_choice", field=name
                )
            raise InvalidInput(
                _("%(label)s：%(error)s") % {"label": label, "error": error.messages[0]},
                code=code,
                field=name,
            )
    return out


def check_editable(values: Mapping[str, Any], editable: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(editable))
    if unknown:
        raise InvalidInput(
            _("不能修改这些字段：%(fields)s") % {"fields": "、".join(unknown)},
            code="unknown_field",
            field=unknown[0],
        )


def record(
    actor,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    *,
    object_id: int | None = None,
) -> ConfigChange:
    """Write the audit row of one change (call inside the verb's transaction)."""
    return ConfigChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name(actor),
        action=action,
        model=obj._meta.label_lower,
        object_id=object_id if object_id is not None else obj.pk,
        object_repr=str(obj)[:200],
        changes=dict(changes or {}),
    )


def record_created(actor, obj: models.Model, fields: Iterable[str]) -> ConfigChange:
    """The audit row of a new row: every audited field that has a value."""
    return record(actor, ConfigAction.CREATE, obj, created(snapshot(obj, fields)))


def save_changes(
    actor,
    obj: M,
    fields: Iterable[str],
    values: Mapping[str, Any],
    *,
    save: Callable[..., None] | None = None,
) -> dict[str, list[Any]]:
    """Assign `values` to `obj`, save the audited `fields` that changed (update_fields) and
    record one UPDATE row; nothing when nothing changed. `save(obj, update_fields=...)`
    replaces `obj.save` (e.g. to save in a savepoint)."""
    fields = tuple(fields)
    before = snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    changes = diff(before, snapshot(obj, fields))
    if changes:
        update_fields = db_fields(type(obj), changes)
        if save is None:
            obj.save(update_fields=update_fields)
        else:
            save(obj, update_fields=update_fields)
        record(actor, ConfigAction.UPDATE, obj, changes)
    return changes


def require_active_owner(
    model: type[models.Model], pk: int, message: str, *, code: str, field: str = "active"
) -> None:
    """Refuse (InvalidInput; `message` gets the owner's `name`) while the owner row `pk` of
    `model` (the unit or parent a row belongs to) is deactivated."""
    owner = model.objects.get(pk=pk)
    if not owner.active:
        raise InvalidInput(message % {"name": owner.name}, code=code, field=field)


def save_active(actor, obj: models.Model, active: bool, field: str = "active") -> None:
    """Switch `obj` on or off (the verb checked that it changes) and record it."""
    setattr(obj, field, active)
    obj.save(update_fields=[field])
    action = ConfigAction.ACTIVATE if active else ConfigAction.DEACTIVATE
    record(actor, action, obj, {field: [not active, active]})


def protected_delete(obj: models.Model) -> None:
    """Delete `obj`; Conflict `protected` while other rows still refer to it."""
    try:
        obj.delete()
    except (ProtectedError, RestrictedError):
        raise Conflict(_("该记录已被引用，不能删除；请改为停用"), code="protected")


def delete_recorded(actor, obj: models.Model, fields: Iterable[str]) -> None:
    """Delete `obj` (see `protected_delete`) and record its audited fields as they were."""
    before = snapshot(obj, fields)
    pk = obj.pk
    protected_delete(obj)
    record(actor, ConfigAction.DELETE, obj, deleted(before), object_id=pk)


# --- display --------------------------------------------------------------------------------


def model_of(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def model_name(label: str) -> str:
    model = model_of(label)
    return str(model._meta.verbose_name) if model else label


def model_choices() -> list[tuple[str, str]]:
    return [(label, model_name(label)) for label in TRACKED_MODELS]


def _display(field: models.Field | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    if isinstance(value, list):
        return "、".join(_display(field, v) for v in value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def describe(change: ConfigChange) -> list[dict[str, str]]:
    """The change's fields for people: label, old and new value as text."""
    model = model_of(change.model)
    rows = []
    for name, pair in (change.changes or {}).items():
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        if field is not None:
            label = str(getattr(field, "verbose_name", name))
        else:
            label = str(EXTRA_LABELS.get(name, name))
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        if name == PASSWORD_FIELD:
            rows.append(
                {
                    "field": name,
                    "label": label,
                    "old": "—",
                    "new": _("已设置") if new == PASSWORD_SET else _("已修改"),
                }
            )
            continue
        rows.append(
            {
                "field": name,
                "label": label,
                "old": _display(field, old),
                "new": _display(field, new),
            }
        )
    return rows


__all__ = [
    "LOGIN_LOCKED",
    "PASSWORD_CHANGED",
    "PASSWORD_SET",
    "TRACKED_MODELS",
    "ConfigAction",
    "actor_name",
    "check_editable",
    "clean_fields",
    "created",
    "db_fields",
    "delete_recorded",
    "deleted",
    "describe",
    "diff",
    "field_value",
    "lock",
    "model_choices",
    "model_name",
    "protected_delete",
    "record",
    "record_created",
    "ref",
    "require_active_owner",
    "save_active",
    "save_changes",
    "snapshot",
]
