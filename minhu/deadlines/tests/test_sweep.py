"""The deadline sweep: every missed step recorded once, the responsible unit warned once before
(due soon) and once after (overdue), summonses too; a fixed number of queries per batch."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent, EventKind, Status
from minhu.appeals.tests.factories import at, dispatched, in_progress, register
from minhu.appeals.verbs import _common as verbs_common
from minhu.deadlines.models import DeadlineMiss, Step
from minhu.deadlines.sweep import sweep_deadlines
from minhu.notifications.models import Notification, NotificationChannel, NotificationKind

STREET1_STAFF = ["s1h", "s1h2", "s1l"]


@pytest.fixture(autouse=True)
def thursday(monkeypatch):
    # Dispatches happen on Thu 2025-01-23 10:00: claim due 12:00, contact due Fri 10:00,
    # resolve due Mon 01-27 17:30 (Sunday 01-26 is a make-up working day).
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 1, 23, 10, 0))


def notices(kind, **filters):
    return Notification.objects.filter(kind=kind, channel=NotificationChannel.IN_APP, **filters)


def recipients(kind, **filters):
    return sorted(notices(kind, **filters).values_list("recipient__username", flat=True))


def test_due_soon_is_sent_once(org):
    a = dispatched(org)
    stats = sweep_deadlines(at(2025, 1, 23, 11, 0))
    assert stats["due_soon"] == 1 and stats["misses"] == 0
    assert recipients(NotificationKind.DUE_SOON, appeal=a) == STREET1_STAFF
    n = notices(NotificationKind.DUE_SOON).first()
    assert n.dedupe_key.startswith(f"due_soon:{a.pk}:claim:") and "签收" in n.body
    assert sweep_deadlines(at(2025, 1, 23, 11, 30))["due_soon"] == 0
    assert notices(NotificationKind.DUE_SOON).count() == 3


def test_far_deadlines_are_not_due_soon(org, settings):
    settings.MINHU_DUE_SOON_HOURS = 1
    dispatched(org)
    assert sweep_deadlines(at(2025, 1, 23, 10, 30))["due_soon"] == 0
    assert sweep_deadlines(at(2025, 1, 23, 11, 30))["due_soon"] == 1


def test_missed_claim_is_recorded_once(org):
    a = dispatched(org)
    stats = sweep_deadlines(at(2025, 1, 23, 13, 0))
    assert (stats["misses"], stats["overdue_appeals"]) == (1, 1)
    miss = DeadlineMiss.objects.get()
    assert (miss.appeal_id, miss.step, miss.unit_id, miss.due_at, miss.done_at) == (
        a.pk,
        Step.CLAIM,
        org.street1.pk,
        at(2025, 1, 23, 12, 0),
        None,
    )
    e = AppealEvent.objects.get(kind=EventKind.OVERDUE)
    assert e.actor is None and e.actor_name == "系统" and e.unit_id == org.street1.pk
    assert (e.from_status, e.to_status) == (Status.DISPATCHED, Status.DISPATCHED)
    assert e.data["step"] == Step.CLAIM and "签收超时" in e.note
    assert recipients(NotificationKind.OVERDUE, appeal=a) == STREET1_STAFF
    # Again, and again later: nothing new.
    assert sweep_deadlines(at(2025, 1, 23, 14, 0))["misses"] == 0
    assert sweep_deadlines(at(2025, 1, 23, 15, 0))["notifications"] == 0
    assert DeadlineMiss.objects.count() == 1
    assert AppealEvent.objects.filter(kind=EventKind.OVERDUE).count() == 1
    assert notices(NotificationKind.OVERDUE).count() == 3


def test_late_claim_completes_the_swept_miss(org, monkeypatch):
    a = dispatched(org)
    sweep_deadlines(at(2025, 1, 23, 13, 0))
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 1, 23, 15, 0))
    actions.claim(a, actor=org.s1_handler)
    miss = DeadlineMiss.objects.get()
    assert miss.done_at == at(2025, 1, 23, 15, 0)


def test_contact_and_resolve_misses_after_claim(org):
    a = in_progress(org)  # claimed on time
    stats = sweep_deadlines(at(2025, 1, 24, 11, 0))  # contact was due Fri 10:00
    assert stats["misses"] == 1
    sweep_deadlines(at(2025, 1, 28, 9, 0))  # resolve was due Mon 17:30
    steps = sorted(DeadlineMiss.objects.filter(appeal=a).values_list("step", flat=True))
    assert steps == [Step.CONTACT, Step.RESOLVE]
    assert AppealEvent.objects.filter(appeal=a, kind=EventKind.OVERDUE).count() == 2


def test_an_unclaimed_appeal_misses_every_running_step(org):
    dispatched(org)
    stats = sweep_deadlines(at(2025, 2, 10, 9, 0))
    assert stats["misses"] == 3
    assert set(DeadlineMiss.objects.values_list("step", flat=True)) == {
        Step.CLAIM,
        Step.CONTACT,
        Step.RESOLVE,
    }


def test_closed_and_resolved_appeals_are_left_alone(org):
    a = in_progress(org)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    register(org)  # new: no clock
    stats = sweep_deadlines(at(2025, 3, 1, 9, 0))
    assert stats["misses"] == 0 and stats["due_soon"] == 0
    assert not DeadlineMiss.objects.exists()


def test_urgent_overdue_also_goes_by_sms(org):
    org.s1_handler.phone = "13700000001"
    org.s1_handler.save()
    a = register(org, urgency="urgent")
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    sweep_deadlines(at(2025, 1, 23, 11, 30))  # urgent claim: 1 natural hour
    sms = Notification.objects.filter(kind=NotificationKind.OVERDUE, channel="sms")
    assert list(sms.values_list("phone", flat=True)) == ["13700000001"]


def test_summonses_not_reported_or_answered(org, monkeypatch):
    org.d1_handler.phone = "13700000002"
    org.d1_handler.save()
    a = in_progress(org)
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept3], reason="需要两部门协同"
    )
    actions.contact_appellant(a, actor=org.s1_handler, note="已电话联系")
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 1, 24, 9, 0))
    actions.report_summons(a, actor=org.d3_handler, share="负责协调学校")  # on time
    # Report was due Fri 01-24 17:30; dept 1 has not reported.
    stats = sweep_deadlines(at(2025, 1, 24, 18, 0))
    assert stats["summons_misses"] == 1
    miss = DeadlineMiss.objects.get(step=Step.REPORT)
    assert (miss.unit_id, miss.due_at) == (org.dept1.pk, at(2025, 1, 24, 17, 30))
    e = AppealEvent.objects.get(kind=EventKind.OVERDUE)
    assert e.unit_id == org.dept1.pk and e.data["step"] == Step.REPORT
    assert recipients(NotificationKind.OVERDUE) == ["d1h"]
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE, channel="sms").count() == 1
    assert sweep_deadlines(at(2025, 1, 24, 19, 0))["summons_misses"] == 0
    # Answers were due 7 natural days after the whistle (Thu 01-23 10:00); dept 3 has not.
    stats = sweep_deadlines(at(2025, 1, 30, 11, 0))
    assert stats["summons_misses"] == 1
    answer = DeadlineMiss.objects.get(step=Step.ANSWER)
    assert answer.unit_id == org.dept3.pk and answer.due_at == at(2025, 1, 30, 10, 0)


def test_batches_cover_every_appeal_including_ties(org):
    appeals = [dispatched(org, phone=f"1380000000{i}") for i in range(7)]  # same due time
    stats = sweep_deadlines(at(2025, 1, 23, 13, 0), batch_size=2)
    assert stats["overdue_appeals"] == 7
    assert set(DeadlineMiss.objects.values_list("appeal_id", flat=True)) == {a.pk for a in appeals}
    stats = sweep_deadlines(at(2025, 1, 23, 11, 0), batch_size=3)
    assert stats["due_soon"] == 7


def _queries(now) -> int:
    with CaptureQueriesContext(connection) as ctx:
        sweep_deadlines(now, batch_size=100)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_number_of_appeals(org):
    for i in range(3):
        dispatched(org, phone=f"1380000000{i}")
    few = _queries(at(2025, 1, 23, 13, 0))
    DeadlineMiss.objects.all().delete()  # start over, with more appeals
    Notification.objects.all().delete()
    for i in range(3, 12):
        dispatched(org, phone=f"138000000{i:02d}")
    many = _queries(at(2025, 1, 23, 13, 0))
    assert many == few


def test_sweep_command(org):
    dispatched(org)
    out = io.StringIO()
    call_command("sweep", "--now", "2025-01-23T13:00:00+08:00", stdout=out)
    assert "misses=1" in out.getvalue() and "overdue_appeals=1" in out.getvalue()
    assert DeadlineMiss.objects.count() == 1
    out = io.StringIO()
    call_command("sweep", "--now", "2025-01-23T13:05:00", stdout=out)  # naive: local time
    assert "misses=0" in out.getvalue()


def test_sweep_command_rejects_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("sweep", "--now", "tomorrow")
    with pytest.raises(CommandError):
        call_command("sweep", "--batch-size", "0")


def test_default_now_is_the_current_time(org):
    dispatched(org)  # due 2025-01-23 12:00, long past in real time
    assert sweep_deadlines()["misses"] == 3
    assert dt.datetime.now(dt.UTC) > at(2025, 1, 27, 17, 30)


HOOKED: list = []


def record_hook(event) -> None:
    HOOKED.append((event.kind, event.appeal_id))


def test_overdue_events_reach_the_event_hooks(org, settings, django_capture_on_commit_callbacks):
    settings.MINHU_EVENT_HOOKS = ["minhu.deadlines.tests.test_sweep.record_hook"]
    a = dispatched(org)
    HOOKED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines(at(2025, 1, 23, 13, 0))
    assert HOOKED == [(EventKind.OVERDUE, a.pk)]
