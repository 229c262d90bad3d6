"""The one event writer (minhu.appeals.events): declared payloads, hooks for every writer, and
no other module creating AppealEvent rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

from minhu.appeals import events
from minhu.appeals.models import AppealEvent, EventKind

from .factories import register

PACKAGE = Path(__file__).resolve().parents[2]
# Bulk loaders of past history: they build rows for COPY / bulk_create and fire no hooks.
HISTORY_LOADERS = {"evaluation/importer.py", "evaluation/generate.py"}
WRITES = re.compile(
    r"AppealEvent\.objects\.(create|bulk_create|get_or_create)|(?<!class )AppealEvent\("
)

SEEN: list[AppealEvent] = []


def record_hook(event: AppealEvent) -> None:
    SEEN.append(event)


def test_no_module_but_the_writer_creates_event_rows():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel == "appeals/events.py":
            continue
        if rel in HISTORY_LOADERS:
            continue
        if WRITES.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == []


def test_every_event_kind_declares_its_payload():
    assert set(events.PAYLOAD) == set(EventKind.values)


@pytest.mark.django_db
def test_undeclared_payload_key_is_refused(org):
    a = register(org)
    with pytest.raises(ValueError, match="undeclared"):
        events.write(a, EventKind.PROGRESS, org.dispatcher, note="x", colour="red")
    assert not a.events.filter(kind=EventKind.PROGRESS).exists()


@pytest.mark.django_db(transaction=True)
@override_settings(MINHU_EVENT_HOOKS=["minhu.appeals.tests.test_events.record_hook"])
def test_hooks_fire_for_single_and_bulk_writes(org):
    SEEN.clear()
    a = register(org)
    assert [e.kind for e in SEEN] == [EventKind.REGISTER]
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    events.write_many(
        [
            events.overdue(
                a.pk,
                status=a.status,
                unit_id=None,
                step="claim",
                due=now - dt.timedelta(hours=1),
                at=now,
                note="签收超时",
            )
        ]
    )
    assert [e.kind for e in SEEN] == [EventKind.REGISTER, EventKind.OVERDUE]
    assert SEEN[1].data["step"] == "claim" and SEEN[1].actor_name == "系统"
