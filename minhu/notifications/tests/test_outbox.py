"""The outbox: rows written in the action's transaction (and gone if it rolls back), and the
delivery worker (`minhu deliver`): in-app rows marked sent, SMS through MINHU_SMS_BACKEND with
retries, backoff and a final failure."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Status
from minhu.appeals.tests.factories import PHONE, dispatched, register, replied
from minhu.appeals.verbs import dispatch as dispatch_verbs
from minhu.notifications.delivery import MAX_ATTEMPTS, deliver_pending, retry_delay, sms_text
from minhu.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationChannel,
    NotificationKind,
)
from minhu.notifications.outbox import UnitNotice, notify_roles, notify_units, notify_units_bulk
from minhu.notifications.sms import MemorySMSBackend
from minhu.orgs.models import Membership, Role

MEMORY = "minhu.notifications.sms.MemorySMSBackend"


@pytest.fixture
def sms(settings):
    settings.MINHU_SMS_BACKEND = MEMORY
    MemorySMSBackend.outbox.clear()
    yield MemorySMSBackend.outbox
    MemorySMSBackend.outbox.clear()


def with_phone(user, phone):
    user.phone = phone
    user.save(update_fields=["phone"])
    return user


def sms_row(phone, title="新派单：路灯不亮", body="请尽快签收", **kw) -> Notification:
    return Notification.objects.create(
        kind=NotificationKind.DISPATCHED,
        channel=NotificationChannel.SMS,
        phone=phone,
        title=title,
        body=body,
        **kw,
    )


# --- writing --------------------------------------------------------------------------------


def test_notify_units_one_row_per_member_and_sms_where_there_is_a_phone(org):
    with_phone(org.s1_handler, "13700000001")
    Membership.objects.create(user=org.s1_handler, unit=org.street1, role=Role.UNIT_LEADER)
    a = register(org)
    n = notify_units(NotificationKind.DISPATCHED, a, [org.street1.pk], "新派单", "正文", sms=True)
    in_app = Notification.objects.filter(channel=NotificationChannel.IN_APP)
    assert sorted(in_app.values_list("recipient__username", flat=True)) == ["s1h", "s1h2", "s1l"]
    sms_rows = Notification.objects.filter(channel=NotificationChannel.SMS)
    assert list(sms_rows.values_list("recipient__username", "phone")) == [("s1h", "13700000001")]
    assert n == 4 and {r.appeal_id for r in Notification.objects.all()} == {a.pk}


def test_inactive_members_and_users_get_nothing(org):
    Membership.objects.filter(user=org.s1_handler).update(active=False)
    org.s1_handler2.is_active = False
    org.s1_handler2.save()
    notify_units(NotificationKind.DISPATCHED, None, [org.street1.pk], "新派单")
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["s1l"]


def test_notify_roles(org):
    notify_roles(NotificationKind.RETURNED, None, [Role.DISPATCHER, Role.ADMIN], "退单")
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "admin",
        "dispatcher",
    ]


def test_notify_units_bulk_in_two_queries(org):
    with_phone(org.d1_handler, "13700000002")
    notices = [
        UnitNotice(NotificationKind.OVERDUE, None, org.street1.pk, "超时一", dedupe_key="k1"),
        UnitNotice(NotificationKind.OVERDUE, None, org.dept1.pk, "超时二", sms=True),
        UnitNotice(NotificationKind.OVERDUE, None, org.grid2.pk, "无人单位"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        n = notify_units_bulk(notices)
    assert len(ctx.captured_queries) == 2  # the members, the insert
    assert n == 5
    assert set(
        Notification.objects.filter(title="超时一").values_list("dedupe_key", flat=True)
    ) == {"k1"}
    assert Notification.objects.filter(title="超时二", channel="sms").get().phone == "13700000002"
    assert notify_units_bulk([]) == 0


def test_outbox_rows_roll_back_with_the_action(org):
    a = register(org)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction.atomic():
            actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
            assert Notification.objects.exists()  # written inside the transaction...
            raise Boom
    assert not Notification.objects.exists()  # ...and gone with it
    assert Appeal.objects.get(pk=a.pk).status == Status.NEW


@pytest.mark.django_db(transaction=True)
def test_failing_action_commits_no_outbox_rows(org, monkeypatch):
    """With real commits: the action fails after writing its notifications, so they are rolled
    back with it, and nothing is left for the worker."""
    a = register(org)
    real = dispatch_verbs.notify_units

    def notify_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("gateway of something else failed")

    monkeypatch.setattr(dispatch_verbs, "notify_units", notify_then_fail)
    with pytest.raises(RuntimeError):
        actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    assert not Notification.objects.exists()
    assert Appeal.objects.get(pk=a.pk).status == Status.NEW
    monkeypatch.setattr(dispatch_verbs, "notify_units", real)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    assert Notification.objects.filter(kind=NotificationKind.DISPATCHED).count() == 3


# --- delivering -----------------------------------------------------------------------------


def test_in_app_rows_become_sent(org, sms):
    dispatched(org)  # lead street 1 (3 staff), dept 2 assisting (1)
    now = timezone.now()
    stats = deliver_pending(now=now)
    assert stats["in_app"] == 4 and stats["sent"] == 0
    assert set(Notification.objects.values_list("status", "sent_at")) == {
        (DeliveryStatus.SENT, now)
    }
    assert Notification.objects.filter(read_at__isnull=True).count() == 4  # sent, not read
    assert deliver_pending(now=now)["in_app"] == 0


def test_sms_goes_through_the_configured_backend(org, sms):
    with_phone(org.s1_handler, "13700000001")
    a = register(org, urgency="urgent")
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)  # urgent: SMS too
    stats = deliver_pending()
    assert stats["sent"] == 1
    assert sms == [("13700000001", sms_text(Notification.objects.get(channel="sms")))]
    assert sms[0][1].startswith("【民呼】新派单：")
    row = Notification.objects.get(channel="sms")
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")


def test_appellant_gets_the_reply_by_sms(org, sms):
    a = replied(org)
    deliver_pending()
    assert sms == [
        (PHONE, f"【民呼】诉求{a.code}：您的诉求已答复：您好，路灯已修好，感谢您的反映。")
    ]


def test_failures_retry_with_backoff_then_fail(org, sms):
    row = sms_row("00012345678")  # MemorySMSBackend rejects 000 numbers
    now = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
    for attempt in range(1, MAX_ATTEMPTS):
        stats = deliver_pending(now=now)
        row.refresh_from_db()
        assert stats["retry"] == 1
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, attempt)
        assert row.last_error == "RuntimeError: gateway rejected number"
        assert row.next_attempt_at == now + retry_delay(attempt)
        # Not before its time...
        assert deliver_pending(now=row.next_attempt_at - dt.timedelta(seconds=1))["retry"] == 0
        now = row.next_attempt_at
    stats = deliver_pending(now=now)
    row.refresh_from_db()
    assert stats["failed"] == 1
    assert (row.status, row.attempts, row.next_attempt_at) == (
        DeliveryStatus.FAILED,
        MAX_ATTEMPTS,
        None,
    )
    assert "gateway rejected number" in row.last_error
    assert deliver_pending(now=now + dt.timedelta(days=1)) == {
        "in_app": 0,
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }
    assert sms == []


def test_backoff_grows(db):
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 5)] == [1, 2, 4, 8]


def test_sms_without_a_phone_fails_at_once(db, sms):
    row = sms_row("")
    assert deliver_pending()["failed"] == 1
    row.refresh_from_db()
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, "没有手机号")


def test_one_bad_number_does_not_block_the_others(db, sms):
    bad, good = sms_row("00012345678"), sms_row("13700000009")
    stats = deliver_pending()
    assert (stats["sent"], stats["retry"]) == (1, 1)
    assert [p for p, _ in sms] == ["13700000009"]
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, good.status) == (DeliveryStatus.PENDING, DeliveryStatus.SENT)


def test_batches(db, sms):
    for i in range(7):
        sms_row(f"1370000001{i}")
    assert deliver_pending(batch_size=2)["sent"] == 7
    assert len(sms) == 7


def test_long_messages_are_cut(db):
    row = SimpleNamespace(title="标题", body="很长" * 500)
    assert len(sms_text(row)) == 300


# --- the command ----------------------------------------------------------------------------


def test_deliver_command(org, sms):
    with_phone(org.s1_handler, "13700000001")
    a = register(org, urgency="urgent")
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    out = io.StringIO()
    call_command("deliver", stdout=out)
    assert "in_app=3" in out.getvalue() and "sent=1" in out.getvalue()
    assert not Notification.objects.filter(status=DeliveryStatus.PENDING).exists()


def test_deliver_loop_runs_until_stopped(org, sms, monkeypatch):
    """--loop: a pass, a wait, another pass (which picks up what arrived meanwhile), until
    interrupted."""
    from minhu.notifications.management.commands import deliver as command

    clock = {"t": 0.0, "sleeps": 0}

    def sleep(seconds):
        clock["sleeps"] += 1
        if clock["sleeps"] == 1:
            sms_row("13700000008")  # arrives while the worker waits
        if clock["t"] >= 25:
            raise KeyboardInterrupt
        clock["t"] += seconds

    monkeypatch.setattr(command, "time", SimpleNamespace(sleep=sleep, monotonic=lambda: clock["t"]))
    out = io.StringIO()
    call_command("deliver", "--loop", "10", stdout=out)
    assert [p for p, _ in sms] == ["13700000008"]
    assert out.getvalue().count("deliver") == 1  # quiet passes print nothing
    assert clock["t"] >= 20  # at least two waits of 10 s


def test_deliver_command_rejects_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("deliver", "--loop", "0")
    with pytest.raises(CommandError):
        call_command("deliver", "--batch-size", "0")
