"""The deadline sweep (`minhu sweep`, run every few minutes): records every missed step and warns
the responsible units before and after a due time.

- Open appeals whose `current_due_at` has passed: every step whose clock ran out
  (Appeal.open_dues) gets a DeadlineMiss, an OVERDUE event and an `overdue` notification to the
  lead unit, once per (appeal, step, due time, unit).
- Open appeals due within MINHU_DUE_SOON_HOURS: a `due_soon` notification, once per
  (appeal, step, due time) (Notification.dedupe_key).
- Summonses (吹哨报到) not reported, or not answered, by their due time: a DeadlineMiss for the
  department, an OVERDUE event and an `overdue` notification to the department, once.

Built for millions of appeals: each pass walks an index (current_due_at; (status, report_due_at)
and (status, answer_due_at) for summonses) in keyset-paginated batches, with a fixed number of
queries per batch (the rows, the misses already recorded, the members to notify, the inserts).
Rows an action holds locked at that moment are skipped (PostgreSQL) and picked up next time."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from minhu.appeals import events
from minhu.appeals.models import (
    OPEN_STATUSES,
    Appeal,
    Summons,
    SummonsStatus,
    Urgency,
)
from minhu.notifications.models import Notification, NotificationKind
from minhu.notifications.outbox import UnitNotice, notify_units_bulk

from .models import DeadlineMiss, Step

logger = logging.getLogger("minhu.deadlines")

BATCH_SIZE = 500
_LOCK_KEY = 0x6D696E6875  # "minhu": one sweep at a time per database (PostgreSQL)

_APPEAL_FIELDS = (
    "id",
    "code",
    "subject",
    "status",
    "urgency",
    "lead_unit_id",
    "current_step",
    "current_due_at",
    "claim_due_at",
    "contact_due_at",
    "resolve_due_at",
    "contacted_at",
)


def _stamp(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%m-%d %H:%M}"


def overdue_key(appeal_id: int, step: str, due: dt.datetime, unit_id: int | None) -> str:
    return f"overdue:{appeal_id}:{step}:{unit_id or 0}:{_stamp(due)}"


def due_soon_key(appeal_id: int, step: str, due: dt.datetime) -> str:
    return f"due_soon:{appeal_id}:{step}:{_stamp(due)}"


@contextlib.contextmanager
def _sweep_lock() -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock keeps two sweeps from notifying twice. SQLite
    serialises writers anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        got = cur.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def _after(field: str, cursor: tuple[dt.datetime, int] | None) -> Q:
    """Keyset pagination on (field, id)."""
    if cursor is None:
        return Q()
    due, pk = cursor
    return Q(**{f"{field}__gt": due}) | Q(**{field: due, "id__gt": pk})


def sweep_deadlines(now: dt.datetime | None = None, *, batch_size: int = BATCH_SIZE) -> dict:
    """One pass. Returns counts: misses (appeal steps), overdue_appeals, summons_misses,
    due_soon (appeals warned), notifications (outbox rows written); skipped=1 when another
    sweep holds the lock."""
    now = now or timezone.now()
    stats: Counter[str] = Counter(
        misses=0, overdue_appeals=0, summons_misses=0, due_soon=0, notifications=0
    )
    with _sweep_lock() as got:
        if not got:
            logger.info("sweep: another sweep is running; skipped")
            return {**stats, "skipped": 1}
        _sweep_overdue(now, batch_size, stats)
        _sweep_summonses(now, batch_size, stats, SummonsStatus.PENDING)
        _sweep_summonses(now, batch_size, stats, SummonsStatus.REPORTED)
        _sweep_due_soon(now, batch_size, stats)
    return dict(stats)


def _sweep_overdue(now: dt.datetime, batch_size: int, stats: Counter) -> None:
    cursor = None
    while True:
        with transaction.atomic():
            batch = list(
                Appeal.objects.filter(status__in=list(OPEN_STATUSES), current_due_at__lt=now)
                .filter(_after("current_due_at", cursor))
                .order_by("current_due_at", "id")
                .only(*_APPEAL_FIELDS)
                .select_for_update(skip_locked=True)[:batch_size]
            )
            if not batch:
                return
            cursor = (batch[-1].current_due_at, batch[-1].id)
            _overdue_batch(batch, now, stats)
        if len(batch) < batch_size:
            return


def _overdue_batch(batch: list[Appeal], now: dt.datetime, stats: Counter) -> None:
    due: list[tuple[Appeal, str, dt.datetime]] = []
    for a in batch:
        steps = [(s, d) for s, d in a.open_dues() if d < now]
        if (
            a.current_step
            and a.current_due_at < now
            and (a.current_step, a.current_due_at) not in steps
        ):
            steps.append((a.current_step, a.current_due_at))
        due += [(a, s, d) for s, d in steps]
    if not due:
        return
    known = set(
        DeadlineMiss.objects.filter(appeal_id__in=[a.id for a in batch]).values_list(
            "appeal_id", "step", "due_at", "unit_id"
        )
    )
    new = [(a, s, d) for a, s, d in due if (a.id, s, d, a.lead_unit_id) not in known]
    if not new:
        return
    DeadlineMiss.objects.bulk_create(
        [DeadlineMiss(appeal_id=a.id, step=s, due_at=d, unit_id=a.lead_unit_id) for a, s, d in new],
        ignore_conflicts=True,
    )
    events.write_many(
        [
            events.overdue(
                a.id,
                status=a.status,
                unit_id=a.lead_unit_id,
                step=s,
                due=d,
                at=now,
                note=f"{Step(s).label}超时（时限 {_local(d)}）",
            )
            for a, s, d in new
        ]
    )
    notices = [
        UnitNotice(
            kind=NotificationKind.OVERDUE,
            appeal_id=a.id,
            unit_id=a.lead_unit_id,
            title=f"已超时：{a.subject}",
            body=f"诉求{a.code}的「{Step(s).label}」时限（{_local(d)}）已过，请尽快办理",
            sms=a.urgency != Urgency.NORMAL,
            dedupe_key=overdue_key(a.id, s, d, a.lead_unit_id),
        )
        for a, s, d in new
        if a.lead_unit_id
    ]
    stats["notifications"] += notify_units_bulk(notices)
    stats["misses"] += len(new)
    stats["overdue_appeals"] += len({a.id for a, _, _ in new})


def _sweep_summonses(now: dt.datetime, batch_size: int, stats: Counter, status: str) -> None:
    """Pending summonses past report_due_at (REPORT), reported ones past answer_due_at (ANSWER)."""
    field, step = (
        ("report_due_at", Step.REPORT)
        if status == SummonsStatus.PENDING
        else ("answer_due_at", Step.ANSWER)
    )
    cursor = None
    while True:
        with transaction.atomic():
            batch = list(
                Summons.objects.filter(status=status, **{f"{field}__lt": now})
                .filter(_after(field, cursor))
                .order_by(field, "id")
                .values(
                    "id", "appeal_id", "department_id", field, "appeal__subject", "appeal__code"
                )[:batch_size]
            )
            if not batch:
                return
            cursor = (batch[-1][field], batch[-1]["id"])
            _summons_batch(batch, field, step, now, stats)
        if len(batch) < batch_size:
            return


def _summons_batch(batch: list[dict], field: str, step: str, now: dt.datetime, stats: Counter):
    known = set(
        DeadlineMiss.objects.filter(
            appeal_id__in={s["appeal_id"] for s in batch}, step=step
        ).values_list("appeal_id", "due_at", "unit_id")
    )
    new = [s for s in batch if (s["appeal_id"], s[field], s["department_id"]) not in known]
    if not new:
        return
    DeadlineMiss.objects.bulk_create(
        [
            DeadlineMiss(
                appeal_id=s["appeal_id"], step=step, due_at=s[field], unit_id=s["department_id"]
            )
            for s in new
        ],
        ignore_conflicts=True,
    )
    what = "报到" if step == Step.REPORT else "反馈"
    appeal_status = dict(
        Appeal.objects.filter(pk__in={s["appeal_id"] for s in new}).values_list("id", "status")
    )
    events.write_many(
        [
            events.overdue(
                s["appeal_id"],
                status=appeal_status.get(s["appeal_id"], ""),
                unit_id=s["department_id"],
                step=step,
                due=s[field],
                at=now,
                note=f"被召集部门{what}超时（时限 {_local(s[field])}）",
                summons=s["id"],
            )
            for s in new
        ]
    )
    notices = [
        UnitNotice(
            kind=NotificationKind.OVERDUE,
            appeal_id=s["appeal_id"],
            unit_id=s["department_id"],
            title=f"{what}超时：{s['appeal__subject']}",
            body=f"诉求{s['appeal__code']}的吹哨{what}时限（{_local(s[field])}）已过，请立即{what}",
            sms=True,
            dedupe_key=overdue_key(s["appeal_id"], step, s[field], s["department_id"]),
        )
        for s in new
    ]
    stats["notifications"] += notify_units_bulk(notices)
    stats["summons_misses"] += len(new)


def _sweep_due_soon(now: dt.datetime, batch_size: int, stats: Counter) -> None:
    soon = now + dt.timedelta(hours=settings.MINHU_DUE_SOON_HOURS)
    cursor = None
    while True:
        batch = list(
            Appeal.objects.filter(
                status__in=list(OPEN_STATUSES), current_due_at__gte=now, current_due_at__lt=soon
            )
            .filter(_after("current_due_at", cursor))
            .exclude(current_step="")
            .order_by("current_due_at", "id")
            .values("id", "code", "subject", "lead_unit_id", "current_step", "current_due_at")[
                :batch_size
            ]
        )
        if not batch:
            return
        cursor = (batch[-1]["current_due_at"], batch[-1]["id"])
        keys = {
            a["id"]: due_soon_key(a["id"], a["current_step"], a["current_due_at"]) for a in batch
        }
        sent = set(
            Notification.objects.filter(dedupe_key__in=list(keys.values()))
            .values_list("dedupe_key", flat=True)
            .distinct()
        )
        notices = [
            UnitNotice(
                kind=NotificationKind.DUE_SOON,
                appeal_id=a["id"],
                unit_id=a["lead_unit_id"],
                title=f"即将超时：{a['subject']}",
                body=f"诉求{a['code']}的「{Step(a['current_step']).label}」"
                f"须在{_local(a['current_due_at'])}前完成",
                dedupe_key=keys[a["id"]],
            )
            for a in batch
            if a["lead_unit_id"] and keys[a["id"]] not in sent
        ]
        with transaction.atomic():
            stats["notifications"] += notify_units_bulk(notices)
        stats["due_soon"] += len(notices)
        if len(batch) < batch_size:
            return
