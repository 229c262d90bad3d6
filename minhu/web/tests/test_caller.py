"""Desk feature 3: caller history on intake — the caller's earlier appeals as the phone is
typed, and the repeat-caller flag (same caller, same problem within N days)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal
from minhu.web.caller import history, same_subject

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def caller(client, phone, **params):
    return client.get(reverse("web:intake_caller"), {"appellant_phone": phone, **params})


def test_earlier_appeals_and_the_repeat_flag(login, org, make_appeal):
    lamp = make_appeal("幸福路路灯不亮")
    actions.classify(lamp, actor=org.dispatcher, category=org.category)
    old = make_appeal("幸福路路灯又不亮了")
    Appeal.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=45))
    make_appeal("别人的诉求", appellant_phone="13900001111")
    client = login(org.dispatcher)
    html = caller(client, PHONE).content.decode()
    assert 'data-total="2"' in html and lamp.code in html and old.code in html
    assert "13900001111" not in html and "别人的诉求" not in html
    assert "data-repeat" not in html  # no category, no subject yet: nothing to compare
    # the same category within 30 days: a repeat caller; the 45-day-old one is not counted
    html = caller(client, PHONE, category=org.category.pk).content.decode()
    assert "重复来电" in html and "同类问题 1 次" in html
    # the same subject (typed before any category is chosen)
    html = caller(client, PHONE, subject="幸福路的路灯不亮").content.decode()
    assert "同类问题 1 次" in html
    html = caller(client, PHONE, subject="噪音扰民").content.decode()
    assert "data-repeat" not in html


def test_first_call_and_partial_numbers(login, org, make_appeal):
    make_appeal()
    client = login(org.dispatcher)
    assert "首次来电" in caller(client, "13700000000").content.decode()
    assert caller(client, PHONE[:7]).content.decode().strip() == ""  # still typing


def test_no_history_for_who_may_not_see_phones(login, org, make_appeal):
    make_appeal()
    # a grid worker registers appeals but sees phones masked: typing a number reveals nothing
    response = caller(login(org.grid1_worker), PHONE)
    assert response.status_code == 200 and response.content.decode().strip() == ""
    assert caller(login(org.callback), PHONE).status_code == 403  # not an intake role


def test_history_is_scoped(org, make_appeal, loop):
    mine = loop.dispatched(make_appeal("东街道的"))
    theirs = loop.dispatched(make_appeal("西街道的", grid=org.grid2), lead=org.street2)
    found = history(org.s1_handler, PHONE)
    assert [a.pk for a in found.appeals] == [mine.pk]
    assert [a.pk for a in history(org.s2_handler, PHONE).appeals] == [theirs.pk]


def test_same_subject():
    assert same_subject("小区路灯不亮", "路灯不亮了")
    assert not same_subject("小区路灯不亮", "楼上噪音扰民")
    assert not same_subject("", "路灯")
