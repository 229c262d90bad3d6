"""Writing to the outbox. Call inside the action's transaction: the rows exist only if it
commits, and the worker (`minhu deliver`) sends them afterwards."""

from __future__ import annotations

from collections.abc import Iterable

from minhu.orgs.models import Membership, Role

from .models import Notification, NotificationChannel

UNIT_ROLES = (Role.HANDLER, Role.UNIT_LEADER)


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
        Membership.objects.filter(unit_id__in=list(unit_ids), role__in=list(roles), active=True)
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
        Membership.objects.filter(role__in=list(roles), active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    rows = [
        Notification(kind=kind, recipient_id=u, appeal=appeal, title=title, body=body)
        for u in user_ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
