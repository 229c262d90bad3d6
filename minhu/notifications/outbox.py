"""Writing to the outbox. Call inside the action's transaction: the rows exist only if it
commits, and the worker (`minhu deliver`) sends them afterwards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from minhu.orgs.models import UNIT_ROLES, Membership

from .models import Notification, NotificationChannel


@dataclass(frozen=True)
class UnitNotice:
    """One message to every member (in `roles`) of one unit, for notify_units_bulk."""

    kind: str
    appeal_id: int | None
    unit_id: int
    title: str
    body: str = ""
    sms: bool = False
    dedupe_key: str = ""


def notify_units(
    kind: str,
    appeal,
    unit_ids: Iterable[int],
    title: str,
    body: str = "",
    roles: Iterable[str] = UNIT_ROLES,
    sms: bool = False,
    dedupe_key: str = "",
) -> int:
    users = (
        Membership.objects.filter(
            unit_id__in=list(unit_ids), role__in=list(roles), active=True, user__is_active=True
        )
        .values_list("user_id", "user__phone")
        .distinct()
    )
    rows = []
    for user_id, phone in users:
        rows.append(
            Notification(
                kind=kind,
                recipient_id=user_id,
                appeal=appeal,
                title=title,
                body=body,
                dedupe_key=dedupe_key,
            )
        )
        if sms and phone:
            rows.append(
                Notification(
                    kind=kind,
                    channel=NotificationChannel.SMS,
                    recipient_id=user_id,
                    phone=phone,
                    appeal=appeal,
                    title=title,
                    body=body,
                    dedupe_key=dedupe_key,
                )
            )
    Notification.objects.bulk_create(rows)
    return len(rows)


def notify_roles(kind: str, appeal, roles: Iterable[str], title: str, body: str = "") -> int:
    user_ids = (
        Membership.objects.filter(role__in=list(roles), active=True, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    rows = [
        Notification(kind=kind, recipient_id=u, appeal=appeal, title=title, body=body)
        for u in user_ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notify_units_bulk(notices: Sequence[UnitNotice], roles: Iterable[str] = UNIT_ROLES) -> int:
    """Many notify_units calls at once: one query for the members of all the units, one bulk
    insert. Used by the deadline sweep, which notifies hundreds of units per batch."""
    if not notices:
        return 0
    members: dict[int, dict[int, str]] = defaultdict(dict)
    for unit_id, user_id, phone in Membership.objects.filter(
        unit_id__in={n.unit_id for n in notices},
        role__in=list(roles),
        active=True,
        user__is_active=True,
    ).values_list("unit_id", "user_id", "user__phone"):
        members[unit_id][user_id] = phone
    rows = []
    for n in notices:
        for user_id, phone in members.get(n.unit_id, {}).items():
            common = {
                "kind": n.kind,
                "recipient_id": user_id,
                "appeal_id": n.appeal_id,
                "title": n.title,
                "body": n.body,
                "dedupe_key": n.dedupe_key,
            }
            rows.append(Notification(**common))
            if n.sms and phone:
                rows.append(Notification(channel=NotificationChannel.SMS, phone=phone, **common))
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def sms_appellants(kind: str, appeals: Sequence, body: str) -> int:
    """One SMS to the appellant of each of `appeals` that left a phone number."""
    rows = [
        Notification(
            kind=kind,
            channel=NotificationChannel.SMS,
            phone=a.appellant_phone,
            appeal=a,
            title=f"诉求{a.code}",
            body=body,
        )
        for a in appeals
        if a.appellant_phone
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
