"""Test helpers: appeals taken through the real loop to a follow-up, and a frozen clock."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

from django.utils import timezone as dj_timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel, FollowUp, FollowUpSource

PHONE = "13812345678"
_REAL = dt.datetime


def at(*args: int) -> dt.datetime:
    """An aware moment in China time."""
    return dj_timezone.make_aware(dt.datetime(*args))


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    """timezone.now() (also as a model field default) returns `moment` inside the block."""

    class Frozen(_REAL):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    with mock.patch.object(dj_timezone, "datetime", Frozen):
        yield


def handler_for(org, unit):
    return {
        org.street1.pk: org.s1_handler,
        org.street2.pk: org.s2_handler,
        org.dept1.pk: org.d1_handler,
        org.dept2.pk: org.d2_handler,
        org.dept3.pk: org.d3_handler,
        org.community1.pk: org.c1_handler,
    }[unit.pk]


def replied(org, unit, *, grid=None, channel=Channel.H5, subject="路灯不亮", when=None) -> Appeal:
    """An appeal registered, dispatched to `unit`, claimed, resolved and replied."""
    ctx = frozen(when) if when else contextlib.nullcontext()
    with ctx:
        a = actions.register_appeal(
            actor=None,
            channel=channel,
            subject=subject,
            detail="小区门口的路灯坏了一个星期",
            appellant_name="张三",
            appellant_phone=PHONE,
            grid=grid or org.grid1,
        )
        actions.classify(a, actor=org.dispatcher, category=org.category)
        actions.dispatch(a, actor=org.dispatcher, lead_unit=unit)
        h = handler_for(org, unit)
        actions.claim(a, actor=h)
        actions.resolve(a, actor=h, outcome_kind="on_spot", outcome="已经更换了灯具")
        actions.reply(a, actor=h, text="您好，路灯已经修好了，感谢您的反映。")
    a.refresh_from_db()
    return a


def follow_up(
    org,
    unit,
    *,
    contacted=True,
    solved=True,
    satisfaction="satisfied",
    reached=True,
    when=None,
    appeal_when=None,
    grid=None,
) -> FollowUp:
    a = replied(org, unit, when=appeal_when or when, grid=grid)
    ctx = frozen(when) if when else contextlib.nullcontext()
    with ctx:
        return actions.record_follow_up(
            a,
            actor=org.callback,
            reached=reached,
            contacted=contacted,
            solved=solved,
            satisfaction=satisfaction,
            source=FollowUpSource.CALLBACK,
        )


def resident_rating(org, unit, *, satisfaction="satisfied", when=None) -> FollowUp:
    a = replied(org, unit, when=when)
    ctx = frozen(when) if when else contextlib.nullcontext()
    with ctx:
        return actions.rate(a.code, phone=PHONE, satisfaction=satisfaction)


# 10 answers: contacted 8/10, solved 7/10, 5 satisfied + 3 basic + 2 unsatisfied.
TEN = [
    (True, True, "satisfied"),
    (True, True, "satisfied"),
    (True, True, "satisfied"),
    (True, True, "satisfied"),
    (True, True, "basic"),
    (True, True, "basic"),
    (True, False, "basic"),
    (True, True, "satisfied"),
    (False, False, "unsatisfied"),
    (False, False, "unsatisfied"),
]
