"""Scoped reads: a user sees only the appeals their units may see; the rest is "not found"."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from minhu.core.errors import NotFound
from minhu.orgs.models import CENTRE_ROLES, PHONE_ROLES, Role  # noqa: F401  (re-exported)
from minhu.orgs.scope import scope_of

from .models import Appeal, Assignment, Summons


def appeals_visible_to(user) -> QuerySet[Appeal]:
    scope = scope_of(user)
    if scope.all_units:
        return Appeal.objects.all()
    if not scope.unit_ids:
        return Appeal.objects.none()
    ids = list(scope.unit_ids)
    assigned = Assignment.objects.filter(appeal=OuterRef("pk"), unit_id__in=ids)
    summoned = Summons.objects.filter(appeal=OuterRef("pk"), department_id__in=ids)
    area = Q(grid_id__in=ids) | Q(street_id__in=ids) | Q(lead_unit_id__in=ids)
    return Appeal.objects.filter(area | Exists(assigned) | Exists(summoned) | Q(registered_by=user))


def access_appeal(user, appeal_id: int, *, for_write: bool = False) -> Appeal:
    """The appeal if the user may see it (locked for update when for_write), else NotFound."""
    qs = appeals_visible_to(user)
    if for_write:
        # Lock only the appeal row: the visibility filter is checked in the same statement.
        qs = Appeal.objects.select_for_update().filter(pk__in=qs.filter(pk=appeal_id).values("pk"))
    try:
        return qs.get(pk=appeal_id)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def lock_appeal(actor, appeal: Appeal | int) -> Appeal:
    """Re-read and lock the appeal row for a verb. Staff get it only within their scope (else
    NotFound); the system (actor None) gets any row."""
    appeal_id = appeal.pk if isinstance(appeal, Appeal) else appeal
    if actor is not None:
        return access_appeal(actor, appeal_id, for_write=True)
    try:
        return Appeal.objects.select_for_update().get(pk=appeal_id)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def can_see_phone(user, appeal: Appeal) -> bool:
    scope = scope_of(user)
    if scope.has_role(*PHONE_ROLES):
        return True
    return bool(
        appeal.lead_unit_id
        and scope.roles_in(appeal.lead_unit_id) & {Role.HANDLER, Role.UNIT_LEADER}
    )


def phone_visible_q(user) -> Q | None:
    """The appeals whose phone `user` may see unmasked, as a condition (the same rule as
    `can_see_phone`): `Q()` for everything, None for nothing. Search matches phone digits only
    within it, so a masked number cannot be recovered digit by digit through `?q=`."""
    scope = scope_of(user)
    if scope.has_role(*PHONE_ROLES):
        return Q()
    units = scope.acting_units(Role.HANDLER, Role.UNIT_LEADER)
    return Q(lead_unit_id__in=units) if units else None


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * len(phone)


def appeal_id_by_code(user, code: str | None, *, field: str = "code") -> int:
    """The id of the appeal with tracking code `code` among those `user` sees (merge by code,
    on the page and in the API): InvalidInput when blank, NotFound otherwise."""
    from django.utils.translation import gettext as _

    from minhu.core.errors import InvalidInput

    code = (code or "").strip().upper()
    if not code:
        raise InvalidInput(_("请填写要合并到的诉求编号"), code="required", field=field)
    found = appeals_visible_to(user).filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(_("未找到该编号的诉求"), field=field)
    return found
