"""Every change to the organisation: units (incl. the communities a department is paired with),
user accounts and passwords, memberships (who holds which role in which unit).

Each verb: keyword-only `actor` (a user, or None for the system: commands, data set-up), one
transaction, the row locked, the admin guard and the domain rules checked, fields saved with
update_fields and an append-only `core.ConfigChange` written in the same transaction. Bad input
raises InvalidInput (Chinese message, stable code, `field`); nothing is written then."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.core.audit import (
    LOGIN_LOCKED,
    PASSWORD_CHANGED,
    PASSWORD_SET,
    check_editable,
    clean_fields,
    created,
    delete_recorded,
    diff,
    lock,
    record,
    record_created,
    require_active_owner,
    save_active,
    save_changes,
    snapshot,
)
from minhu.core.errors import InvalidInput, PermissionDenied, TooManyRequests
from minhu.core.models import ConfigAction
from minhu.core.phones import is_staff_phone

from . import login_guard
from .models import (
    ALLOWED_PARENTS,
    OUTSIDE_KINDS,
    AccountKind,
    Membership,
    Role,
    Unit,
    UnitKind,
    User,
)
from .scope import scope_of
from .usage import open_work_count

UNIT_FIELDS = ("name", "code", "kind", "parent", "phone", "active", "paired_communities")
UNIT_EDITABLE = {"name", "code", "kind", "parent", "phone", "active", "paired_communities"}
PAIRABLE_KINDS = {UnitKind.COMMUNITY, UnitKind.VILLAGE}
USER_FIELDS = ("username", "display_name", "phone", "email", "is_active")
USER_EDITABLE = {"username", "display_name", "phone", "email", "is_active", "password"}
MEMBERSHIP_FIELDS = ("user", "unit", "role", "active")
MEMBERSHIP_EDITABLE = {"user", "unit", "role", "active"}

ADMIN_ONLY = gettext_lazy("只有系统管理员可以修改配置")


# --- guards ---------------------------------------------------------------------------------


def is_config_admin(user) -> bool:
    """The admin role in an active unit, or a superuser."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or scope_of(user).has_role(Role.ADMIN))


def require_admin(actor) -> None:
    """Configuration is changed by administrators (or by the system: actor None)."""
    if actor is not None and not is_config_admin(actor):
        raise PermissionDenied(ADMIN_ONLY)


# --- units ----------------------------------------------------------------------------------


def _kind_label(kind: str | None) -> str:
    return str(UnitKind(kind).label) if kind in UnitKind.values else str(kind)


def _check_parent(unit: Unit | None, kind: str, parent: Unit | None) -> None:
    """No cycles (checked first: the clearer message), and a parent of an allowed kind."""
    if unit is not None and unit.pk and parent is not None:
        if parent.pk == unit.pk or parent.path.startswith(unit.path):
            raise InvalidInput(_("上级单位不能是本单位或其下级"), code="cycle", field="parent")
    allowed = ALLOWED_PARENTS.get(kind, set())
    if (parent.kind if parent else None) not in allowed:
        names = _("、").join(_kind_label(k) for k in UnitKind.values if k in allowed)
        raise InvalidInput(
            _("「%(kind)s」的上级应为：%(parents)s")
            % {"kind": _kind_label(kind), "parents": names or _("无（顶级）")},
            code="invalid_parent",
            field="parent",
        )


def _check_code(model, code: str, exclude_pk: int | None) -> None:
    if model.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise InvalidInput(_("该编码已被使用"), code="duplicate_code", field="code")


def _paired(kind: str, communities: Iterable[Unit | int]) -> list[Unit]:
    ids = {c.pk if isinstance(c, Unit) else int(c) for c in communities}
    rows = list(Unit.objects.filter(pk__in=ids))
    if len(rows) != len(ids):
        raise InvalidInput(_("结对社区不存在"), code="not_found", field="paired_communities")
    if rows and kind != UnitKind.DEPARTMENT and kind not in OUTSIDE_KINDS:
        raise InvalidInput(
            _("只有区直部门可以结对社区（社会力量可登记服务社区）"),
            code="pairing_not_allowed",
            field="paired_communities",
        )
    bad = [u for u in rows if u.kind not in PAIRABLE_KINDS]
    if bad:
        raise InvalidInput(
            _("「%(name)s」不是社区或村，不能结对") % {"name": bad[0].name},
            code="invalid_pairing",
            field="paired_communities",
        )
    return rows


def _lock_units(*pks: int | None) -> dict[int, Unit]:
    """Lock several units in id order (two admins moving units cannot deadlock on the order)."""
    ids = sorted({pk for pk in pks if pk})
    return {u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _fresh_parent(parent: Unit | int | None, locked: dict[int, Unit] | None = None) -> Unit | None:
    if parent is None or parent == "":
        return None
    pk = parent.pk if isinstance(parent, Unit) else int(parent)
    if locked is not None and pk in locked:
        return locked[pk]
    found = _lock_units(pk)
    if pk not in found:
        raise InvalidInput(_("上级单位不存在"), code="not_found", field="parent")
    return found[pk]


@transaction.atomic
def create_unit(
    *,
    actor,
    name: str,
    code: str,
    kind: str,
    parent: Unit | int | None = None,
    phone: str = "",
    active: bool = True,
    paired_communities: Iterable[Unit | int] = (),
) -> Unit:
    require_admin(actor)
    values = clean_fields(
        Unit, {"name": name, "code": code, "kind": kind, "phone": phone, "active": active}
    )
    _check_phone(values)
    parent_unit = _fresh_parent(parent)
    _check_parent(None, values["kind"], parent_unit)
    if values["active"] and parent_unit is not None and not parent_unit.active:
        raise InvalidInput(
            _("上级单位「%(name)s」已停用") % {"name": parent_unit.name},
            code="parent_inactive",
            field="parent",
        )
    _check_code(Unit, values["code"], None)
    pairs = _paired(values["kind"], paired_communities)
    unit = Unit(parent=parent_unit, **values)
    unit.save()
    if pairs:
        unit.paired_communities.set(pairs)
    record_created(actor, unit, UNIT_FIELDS)
    return unit


@transaction.atomic
def update_unit(unit: Unit | int, *, actor, **changes: Any) -> Unit:
    """Change a unit's fields. A new parent re-paths the whole subtree (Unit.save). `active`
    goes through `set_unit_active` and `paired_communities` through `set_paired_communities`
    (their own guards and audit rows), in this transaction."""
    require_admin(actor)
    check_editable(changes, UNIT_EDITABLE)
    active = changes.pop("active", None)
    pairs = changes.pop("paired_communities", None)
    if "parent" in changes:
        # Lock the unit and its new parent together, in id order.
        unit_pk = unit.pk if isinstance(unit, Unit) else unit
        locked = _lock_units(unit_pk, getattr(changes["parent"], "pk", changes["parent"]))
        unit = locked[unit_pk] if unit_pk in locked else lock(Unit, unit_pk)
        parent = _fresh_parent(changes["parent"], locked)
    else:
        unit = lock(Unit, unit)
        parent = unit.parent
    plain = {k: v for k, v in changes.items() if k != "parent"}
    values = clean_fields(Unit, plain)
    _check_phone(values)
    kind = values.get("kind", unit.kind)
    parent_changed = (parent.pk if parent else None) != unit.parent_id
    if parent_changed or kind != unit.kind:
        _check_parent(unit, kind, parent)
    if parent_changed and parent is not None and not parent.active:
        if unit.active and active is not False:
            raise InvalidInput(
                _("上级单位「%(name)s」已停用") % {"name": parent.name},
                code="parent_inactive",
                field="parent",
            )
    if kind != unit.kind:
        bad = [c for c in unit.children.all() if kind not in ALLOWED_PARENTS[c.kind]]
        if bad:
            raise InvalidInput(
                _("下级单位「%(name)s」不能隶属于「%(kind)s」")
                % {"name": bad[0].name, "kind": _kind_label(kind)},
                code="invalid_kind",
                field="kind",
            )
        if (
            pairs is None
            and kind != UnitKind.DEPARTMENT
            and kind not in OUTSIDE_KINDS
            and unit.paired_communities.exists()
        ):
            raise InvalidInput(
                _("只有区直部门可以结对社区，请先取消结对"),
                code="pairing_not_allowed",
                field="paired_communities",
            )
    if "code" in values and values["code"] != unit.code:
        _check_code(Unit, values["code"], unit.pk)

    save_changes(actor, unit, UNIT_FIELDS[:-2], {**values, "parent": parent})
    if pairs is not None:
        set_paired_communities(unit, actor=actor, communities=pairs)
    if active is not None:
        set_unit_active(unit, actor=actor, active=bool(active))
    unit.refresh_from_db()
    return unit


@transaction.atomic
def set_unit_active(unit: Unit | int, *, actor, active: bool) -> Unit:
    """Deactivate (refused while the unit has open appeals or active sub-units) or reactivate
    (refused under a deactivated parent). No change, no audit row."""
    require_admin(actor)
    unit = lock(Unit, unit)
    if unit.active == active:
        return unit
    if not active:
        n = open_work_count(unit)
        if n:
            raise InvalidInput(
                _("「%(name)s」还有%(count)d件未办结的诉求，请先转派后再停用")
                % {"name": unit.name, "count": n},
                code="unit_has_open_appeals",
                field="active",
                count=n,
            )
        n = unit.children.filter(active=True).count()
        if n:
            raise InvalidInput(
                _("「%(name)s」还有%(count)d个启用的下级单位，请先停用下级单位")
                % {"name": unit.name, "count": n},
                code="unit_has_active_children",
                field="active",
                count=n,
            )
    elif unit.parent_id:
        require_active_owner(
            Unit,
            unit.parent_id,
            _("上级单位「%(name)s」已停用，请先启用上级单位"),
            code="parent_inactive",
        )
    save_active(actor, unit, active)
    return unit


@transaction.atomic
def set_paired_communities(unit: Unit | int, *, actor, communities: Iterable[Unit | int]) -> Unit:
    """The communities/villages a department is paired with (结对), replacing the old set."""
    require_admin(actor)
    unit = lock(Unit, unit)
    rows = _paired(unit.kind, communities)
    before = snapshot(unit, ["paired_communities"])
    unit.paired_communities.set(rows)
    changed = diff(before, snapshot(unit, ["paired_communities"]))
    if changed:
        record(actor, ConfigAction.UPDATE, unit, changed)
    return unit


@transaction.atomic
def delete_unit(unit: Unit | int, *, actor) -> None:
    """Only a unit nothing refers to (no sub-units, members, appeals ...): otherwise Conflict
    `protected`; deactivate it instead."""
    require_admin(actor)
    unit = lock(Unit, unit)
    delete_recorded(actor, unit, UNIT_FIELDS)


# --- users ----------------------------------------------------------------------------------


def password_problems(password: str, user: User | None = None) -> list[str]:
    """Django's password validators, with Chinese messages for the common cases (the bundled
    zh-hans catalogue lacks some of them)."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        out = []
        for error in exc.error_list:
            params = error.params or {}
            if error.code == "password_too_short":
                out.append(
                    _("密码太短，至少需要%(min_length)d个字符")
                    % {"min_length": params.get("min_length", 8)}
                )
            elif error.code == "password_too_common":
                out.append(_("密码过于常见"))
            elif error.code == "password_entirely_numeric":
                out.append(_("密码不能全是数字"))
            elif error.code == "password_too_similar":
                out.append(_("密码与用户信息过于相似"))
            else:
                out.extend(error.messages)
        return out
    return []


def _check_password(password: str | None, user: User) -> None:
    if not password:
        raise InvalidInput(_("请设置密码"), code="required", field="password")
    problems = password_problems(password, user)
    if problems:
        raise InvalidInput(_("；").join(problems), code="weak_password", field="password")


def _check_phone(values: dict) -> None:
    phone = values.get("phone")
    if phone and not is_staff_phone(phone):
        raise InvalidInput(
            _("电话号码格式不正确：只能包含数字、空格、括号和“-”"),
            code="invalid_phone",
            field="phone",
        )


def _check_username(username: str, exclude_pk: int | None) -> None:
    if User.objects.filter(username=username).exclude(pk=exclude_pk).exists():
        raise InvalidInput(_("该用户名已存在"), code="duplicate_username", field="username")


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    is_active: bool = True,
    unit: Unit | int | None = None,
    role: str | None = None,
) -> User:
    """A new account; with `unit` and `role`, its first membership too."""
    require_admin(actor)
    values = clean_fields(
        User,
        {
            "username": username,
            "display_name": display_name,
            "phone": phone,
            "email": email,
            "is_active": is_active,
        },
    )
    _check_username(values["username"], None)
    _check_phone(values)
    user = User(**values)
    _check_password(password, user)
    if (unit is None) != (role is None):
        raise InvalidInput(
            _("请同时选择单位和角色"), code="required", field="unit" if unit is None else "role"
        )
    user.set_password(password)
    user.save()
    changes = created(snapshot(user, USER_FIELDS))
    changes["password"] = [None, PASSWORD_SET]
    record(actor, ConfigAction.CREATE, user, changes)
    if unit is not None:
        add_membership(user, actor=actor, unit=unit, role=role)
    return user


@transaction.atomic
def create_integration(
    *, actor, username: str, display_name: str, unit: Unit | int, role: str
) -> User:
    """An integration's identity (an Open311 client, an import): an account of kind
    INTEGRATION without a usable password, acting through one membership like a person, so
    scopes and guards apply to it and every event it causes names it."""
    require_admin(actor)
    values = clean_fields(
        User, {"username": username, "display_name": display_name, "is_active": True}
    )
    _check_username(values["username"], None)
    if not values["display_name"]:
        raise InvalidInput(_("请填写对接系统名称"), code="required", field="display_name")
    user = User(**values, kind=AccountKind.INTEGRATION)
    user.set_unusable_password()
    user.save()
    changes = created(snapshot(user, USER_FIELDS))
    changes["kind"] = [None, AccountKind.INTEGRATION]
    record(actor, ConfigAction.CREATE, user, changes)
    add_membership(user, actor=actor, unit=unit, role=role)
    return user


@transaction.atomic
def update_user(user: User | int, *, actor, **changes: Any) -> User:
    """Change an account's profile. `is_active` goes through `set_user_active` and `password`
    through `set_password` (own guards and audit rows), in this transaction."""
    require_admin(actor)
    check_editable(changes, USER_EDITABLE)
    is_active = changes.pop("is_active", None)
    password = changes.pop("password", None)
    user = lock(User, user)
    values = clean_fields(User, changes)
    _check_phone(values)
    if "username" in values and values["username"] != user.username:
        _check_username(values["username"], user.pk)
    save_changes(actor, user, USER_FIELDS[:-1], values)
    if password:
        set_password(user, actor=actor, password=password)
    if is_active is not None:
        set_user_active(user, actor=actor, active=bool(is_active))
    user.refresh_from_db()
    return user


@transaction.atomic
def set_password(user: User | int, *, actor, password: str) -> User:
    """An administrator sets a user's password (checked by the validators). The audit row
    says only that it changed."""
    require_admin(actor)
    user = lock(User, user)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    revoke_tokens(user)  # whoever held the old password may hold a token too
    record(actor, ConfigAction.UPDATE, user, {"password": [None, PASSWORD_CHANGED]})
    return user


@transaction.atomic
def change_own_password(
    user: User | int, *, actor, old_password: str, new_password: str, request=None
) -> User:
    """A signed-in user changes their own password: the current one first (a wrong one counts
    as a failed sign-in, so a borrowed session cannot guess it), then the validators. Every
    other session of the user ends (Django checks the password hash on each request; the
    caller keeps its own with `update_session_auth_hash`) and the API tokens are revoked."""
    user = lock(User, user)
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("只能修改自己的密码"))
    if not user.has_usable_password():
        raise InvalidInput(_("该账号不能使用密码登录"), code="no_password", field="old_password")
    refused = login_guard.refusal(request, user.username)
    if refused:
        raise TooManyRequests(refused, code="login_locked")
    if not user.check_password(old_password or ""):
        login_guard.failed(request, user.username)
        raise InvalidInput(_("当前密码不正确"), code="wrong_password", field="old_password")
    if not new_password:
        raise InvalidInput(_("请设置新密码"), code="required", field="new_password")
    if new_password == old_password:
        raise InvalidInput(
            _("新密码不能与当前密码相同"), code="same_password", field="new_password"
        )
    problems = password_problems(new_password, user)
    if problems:
        raise InvalidInput(_("；").join(problems), code="weak_password", field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user)
    record(actor, ConfigAction.UPDATE, user, {"password": [None, PASSWORD_CHANGED]})
    return user


def login_locked(user: User) -> bool:
    """Whether the account is locked out after repeated failed sign-ins."""
    return login_guard.is_locked(user.username)


@transaction.atomic
def unlock_login(user: User | int, *, actor) -> bool:
    """An administrator lifts a lockout before its window ends (audited). False when the
    account was not locked (nothing recorded)."""
    require_admin(actor)
    user = lock(User, user)
    if not login_guard.is_locked(user.username):
        return False
    record(actor, ConfigAction.UPDATE, user, {LOGIN_LOCKED: [True, False]})
    login_guard.clear(user.username)
    return True


def revoke_tokens(user: User) -> int:
    """Delete the user's API tokens (they sign in again for a new one); returns how many."""
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user).delete()[0]


@transaction.atomic
def set_user_active(user: User | int, *, actor, active: bool) -> User:
    """Deactivate (cannot log in; API tokens stop working) or reactivate an account. An
    administrator cannot deactivate their own account."""
    require_admin(actor)
    user = lock(User, user)
    if user.is_active == active:
        return user
    if not active and actor is not None and actor.pk == user.pk:
        raise InvalidInput(_("不能停用自己的账号"), code="self_deactivation", field="is_active")
    save_active(actor, user, active, field="is_active")
    # Deactivation ends API access for good: reactivating never revives an old token.
    revoke_tokens(user)
    return user


# --- memberships ----------------------------------------------------------------------------


def _check_membership(user: User, unit: Unit, role: str, exclude_pk: int | None) -> None:
    if role not in Role.values:
        raise InvalidInput(_("角色不正确"), code="invalid_choice", field="role")
    clash = Membership.objects.filter(user=user, unit=unit, role=role).exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput(
            _("该用户在此单位已有此角色（已停用的可以恢复）"),
            code="duplicate_membership",
            field="role",
        )


def _unit_for_membership(unit: Unit | int) -> Unit:
    pk = unit.pk if isinstance(unit, Unit) else unit
    found = Unit.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("单位不存在"), code="not_found", field="unit")
    if not found.active:
        raise InvalidInput(
            _("「%(name)s」已停用") % {"name": found.name}, code="unit_inactive", field="unit"
        )
    return found


def _check_self_demotion(membership: Membership, actor) -> None:
    """An administrator cannot take away their own last admin role (and lock themselves out)."""
    if actor is None or actor.pk != membership.user_id or membership.role != Role.ADMIN:
        return
    if actor.is_superuser or not membership.active:
        return
    others = Membership.objects.filter(
        user_id=actor.pk, role=Role.ADMIN, active=True, unit__active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise InvalidInput(_("不能停用自己的系统管理员角色"), code="self_demotion", field="active")


@transaction.atomic
def add_membership(
    user: User | int, *, actor, unit: Unit | int, role: str, active: bool = True
) -> Membership:
    """Give `user` a role in `unit` (an active unit; once per user, unit and role)."""
    require_admin(actor)
    user = lock(User, user)
    unit = _unit_for_membership(unit)
    _check_membership(user, unit, role, None)
    m = Membership.objects.create(user=user, unit=unit, role=role, active=bool(active))
    record_created(actor, m, MEMBERSHIP_FIELDS)
    return m


@transaction.atomic
def update_membership(membership: Membership | int, *, actor, **changes: Any) -> Membership:
    """Move a membership to another unit or role; `active` goes through
    `set_membership_active`. The user of a membership cannot change."""
    require_admin(actor)
    check_editable(changes, MEMBERSHIP_EDITABLE)
    m = lock(Membership, membership)
    if "user" in changes:
        new_user = changes.pop("user")
        if (new_user.pk if isinstance(new_user, User) else new_user) != m.user_id:
            raise InvalidInput(
                _("不能更改任职的用户，请为该用户新增角色"), code="immutable", field="user"
            )
    active = changes.pop("active", None)
    unit = _unit_for_membership(changes["unit"]) if "unit" in changes else m.unit
    role = changes.get("role", m.role)
    if unit.pk != m.unit_id or role != m.role:
        _check_self_demotion(m, actor)
        _check_membership(m.user, unit, role, m.pk)
    save_changes(actor, m, MEMBERSHIP_FIELDS[:-1], {"unit": unit, "role": role})
    if active is not None:
        set_membership_active(m, actor=actor, active=bool(active))
    m.refresh_from_db()
    return m


@transaction.atomic
def set_membership_active(membership: Membership | int, *, actor, active: bool) -> Membership:
    """Suspend or restore a role (the history of who held it stays)."""
    require_admin(actor)
    m = lock(Membership, membership)
    if m.active == active:
        return m
    if not active:
        _check_self_demotion(m, actor)
    save_active(actor, m, active)
    return m


@transaction.atomic
def remove_membership(membership: Membership | int, *, actor) -> None:
    require_admin(actor)
    m = lock(Membership, membership)
    _check_self_demotion(m, actor)
    delete_recorded(actor, m, MEMBERSHIP_FIELDS)  # nothing refers to a membership
