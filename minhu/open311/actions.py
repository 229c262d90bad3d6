"""Open311 verbs: issue and revoke a client's key (audited as configuration), record each use
of a key, and post a service request (through minhu.appeals.actions.register_appeal, so the
request enters the loop like any channel's and gets routing proposals)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, AppellantKind
from minhu.core.audit import clean_fields, lock, record, record_created
from minhu.core.errors import InvalidInput
from minhu.core.models import ConfigAction
from minhu.orgs.actions import require_admin

from .models import ApiKey, KeyUse, Open311Request

CHANNEL = "open311"
KEY_FIELDS = ("name", "contact", "prefix", "rate_limit", "active")


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def find_key(key: str) -> ApiKey | None:
    """The active key `key` names, or None."""
    if not key or len(key) > 100:
        return None
    return ApiKey.objects.filter(digest=key_digest(key.strip()), active=True).first()


@transaction.atomic
def issue_key(
    *,
    actor,
    name: str,
    contact: str = "",
    rate_limit: int | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key for client `name`: (row, the key). Only its hash is kept: show it now.
    `secret`: a given key (the demo's, printed by `minhu demo --logins`), else a random one."""
    require_admin(actor)
    values = clean_fields(
        ApiKey,
        {"name": name, "contact": contact or "", "rate_limit": rate_limit or 600},
    )
    if values["rate_limit"] < 1:
        raise InvalidInput(_("每小时请求上限须大于0"), code="invalid", field="rate_limit")
    secret = secret or secrets.token_urlsafe(24)
    if len(secret) < 16 or ApiKey.objects.filter(digest=key_digest(secret)).exists():
        raise InvalidInput(_("密钥无效或已存在"), code="invalid", field="secret")
    row = ApiKey.objects.create(
        prefix=secret[:8],
        digest=key_digest(secret),
        created_by=actor if getattr(actor, "pk", None) else None,
        **values,
    )
    record_created(actor, row, KEY_FIELDS)
    return row, secret


@transaction.atomic
def update_key(key: ApiKey | int, *, actor, **changes: Any) -> ApiKey:
    """Change a key's client name, contact or rate limit (the key itself never changes)."""
    from minhu.core.audit import check_editable, save_changes

    require_admin(actor)
    check_editable(changes, {"name", "contact", "rate_limit"})
    row = lock(ApiKey, key)
    values = clean_fields(ApiKey, changes)
    if values.get("rate_limit", 1) < 1:
        raise InvalidInput(_("每小时请求上限须大于0"), code="invalid", field="rate_limit")
    save_changes(actor, row, ("name", "contact", "rate_limit"), values)
    return row


@transaction.atomic
def revoke_key(key: ApiKey | int, *, actor) -> ApiKey:
    """Revoke a key for good: every later call with it is refused (403)."""
    require_admin(actor)
    row = lock(ApiKey, key)
    if not row.active:
        return row
    row.active = False
    row.revoked_at = timezone.now()
    row.save(update_fields=["active", "revoked_at"])
    record(actor, ConfigAction.DEACTIVATE, row, {"active": [True, False]})
    return row


def record_use(key: ApiKey, *, method: str, path: str, status: int, request_code: str = "") -> None:
    """The audit row of one call with `key` (append-only) and its last use."""
    now = timezone.now()
    KeyUse.objects.create(
        api_key=key,
        at=now,
        method=method[:8],
        path=path[:200],
        status=status,
        service_request_id=request_code[:12],
    )
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


@transaction.atomic
def post_request(
    *,
    api_key: ApiKey,
    category,
    description: str,
    latitude=None,
    longitude=None,
    address: str = "",
    address_id: str = "",
    attributes: dict | None = None,
    email: str = "",
    device_id: str = "",
    account_id: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    jurisdiction_id: str = "",
) -> Open311Request:
    """POST requests: a resident's report through client `api_key`, registered as an appeal of
    channel `open311` (actor None: the resident), with the category's fields validated."""
    description = (description or "").strip()
    name = f"{last_name.strip()}{first_name.strip()}"[:60]
    phone = (phone or "").strip()
    subject = description.splitlines()[0][:60] if description else ""
    appeal: Appeal = appeal_actions.register_appeal(
        actor=None,
        channel=CHANNEL,
        subject=subject or category.name,
        detail=description,
        appellant_kind=AppellantKind.PERSON if phone else AppellantKind.ANONYMOUS,
        appellant_name=name,
        appellant_phone=phone,
        address=address,
        latitude=latitude,
        longitude=longitude,
        category=category,
        attributes=attributes,
    )
    return Open311Request.objects.create(
        appeal=appeal,
        api_key=api_key,
        token=str(uuid.uuid4()),
        client_name=api_key.name,
        email=email[:254],
        device_id=device_id[:100],
        account_id=account_id[:100],
        address_id=address_id[:100],
        media_url=media_url[:500],
        jurisdiction_id=jurisdiction_id[:100],
    )
