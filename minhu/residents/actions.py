"""State changes made by the public through the H5 pages (no tracking code involved).

Each verb: keyword-only `actor` (None for a member of the public, the only caller today),
one transaction, input validated, and an append-only rating row written. Appeals themselves are
registered and rated through `minhu.appeals.actions` (register_appeal, rate).

A rating given with `phone` and `sms_code` is verified by SMS (`residents.verify`); an
enterprise rating tied to its own appeal is verified by the appeal. Verified ratings are
limited to one per phone and hall / department per window (ONE_PER_PHONE); only they count in
the rates (`evaluation.evaluations`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, AppellantKind, CollectionPoint, Satisfaction
from minhu.core.errors import IllegalTransition, InvalidInput, NotFound
from minhu.orgs.models import Unit, UnitKind

from . import verify
from .models import ENTERPRISE_INDICATORS, EnterpriseRating, ServiceRating, Verification

COMMENT_MAX = 1000
# One verified rating per phone and target within this window.
ONE_PER_PHONE = {"service": dt.timedelta(days=1), "enterprise": dt.timedelta(days=30)}


def _satisfaction(value: str | None, field: str = "satisfaction") -> str:
    if value not in Satisfaction.values:
        raise InvalidInput(_("请选择满意度"), code="required", field=field)
    return value


def _comment(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > COMMENT_MAX:
        raise InvalidInput(
            _("意见不能超过%(max)d个字") % {"max": COMMENT_MAX}, code="too_long", field="comment"
        )
    return value


def _verified_phone(phone: str, sms_code: str, earlier, window: dt.timedelta) -> str:
    """The verified phone's hash ("" without a phone). Refuses a second rating of the same
    target by the same phone within `window` before the code is used up."""
    if not (phone or "").strip() and not (sms_code or "").strip():
        return ""
    digest = verify.phone_hash(verify.clean_phone(phone))
    if earlier.filter(phone_hash=digest, created_at__gte=timezone.now() - window).exists():
        raise IllegalTransition(_("这个手机号已评价过，感谢您的参与"), code="already_rated")
    return verify.confirm(phone, sms_code)


@transaction.atomic
def rate_service(
    point: CollectionPoint | str,
    *,
    actor=None,
    satisfaction: str,
    comment: str = "",
    window: str = "",
    ip_hash: str = "",
    phone: str = "",
    sms_code: str = "",
) -> ServiceRating:
    """群众评服务: a visitor rates the service at an (active) service hall; with `phone` and
    `sms_code` the rating is verified."""
    code = point.code if isinstance(point, CollectionPoint) else str(point or "")
    hall = CollectionPoint.objects.filter(code=code, active=True, is_service_hall=True).first()
    if hall is None:
        raise NotFound(_("该评价码不存在或已停用"), code="point_not_found")
    satisfaction = _satisfaction(satisfaction)
    comment = _comment(comment)
    window = (window or "").strip()
    if len(window) > 60:
        raise InvalidInput(_("窗口或工作人员不能超过60个字"), code="too_long", field="window")
    digest = _verified_phone(
        phone, sms_code, ServiceRating.objects.filter(point=hall), ONE_PER_PHONE["service"]
    )
    return ServiceRating.objects.create(
        point=hall,
        satisfaction=satisfaction,
        comment=comment,
        window=window,
        ip_hash=ip_hash[:64],
        verified=Verification.SMS if digest else Verification.NONE,
        phone_hash=digest,
    )


@transaction.atomic
def rate_department(
    *,
    actor=None,
    department: Unit | int,
    enterprise_name: str,
    satisfaction: str,
    indicators: Mapping[str, str] | None = None,
    comment: str = "",
    appeal: Appeal | None = None,
    ip_hash: str = "",
    phone: str = "",
    sms_code: str = "",
) -> EnterpriseRating:
    """企业评政府: an enterprise rates a district department, overall and per indicator.
    With `appeal` (the enterprise's own appeal, opened with its code and phone) the rating is
    tied to it, once per appeal, and verified by it; otherwise `phone` and `sms_code` verify it."""
    dept_id = department.pk if isinstance(department, Unit) else department
    dept = Unit.objects.filter(pk=dept_id, kind=UnitKind.DEPARTMENT, active=True).first()
    if dept is None:
        raise InvalidInput(_("请选择为您服务的部门"), code="invalid_unit", field="department")
    enterprise_name = (enterprise_name or "").strip()
    if not enterprise_name:
        raise InvalidInput(_("请填写企业名称"), code="required", field="enterprise_name")
    if len(enterprise_name) > 100:
        raise InvalidInput(_("企业名称不能超过100个字"), code="too_long", field="enterprise_name")
    satisfaction = _satisfaction(satisfaction)
    clean: dict[str, str] = {}
    for key, value in (indicators or {}).items():
        if key not in ENTERPRISE_INDICATORS:
            raise InvalidInput(_("评价项目不正确"), code="invalid_choice", field="indicators")
        if value in ("", None):
            continue
        clean[key] = _satisfaction(value, field=f"indicator_{key}")
    comment = _comment(comment)
    if appeal is not None:
        # Lock the appeal so that two submissions for it cannot both pass the check below.
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.appellant_kind != AppellantKind.ENTERPRISE:
            raise InvalidInput(_("该诉求不是企业诉求"), code="not_enterprise", field="appeal")
        if EnterpriseRating.objects.filter(appeal=appeal).exists():
            raise IllegalTransition(_("您已评价过这次服务"), code="already_rated")
        digest, verified = "", Verification.APPEAL
    else:
        digest = _verified_phone(
            phone,
            sms_code,
            EnterpriseRating.objects.filter(department=dept),
            ONE_PER_PHONE["enterprise"],
        )
        verified = Verification.SMS if digest else Verification.NONE
    return EnterpriseRating.objects.create(
        department=dept,
        appeal=appeal,
        enterprise_name=enterprise_name,
        satisfaction=satisfaction,
        indicators=clean,
        comment=comment,
        ip_hash=ip_hash[:64],
        verified=verified,
        phone_hash=digest,
    )
