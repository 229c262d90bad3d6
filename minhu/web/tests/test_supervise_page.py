"""Desk feature 9: a leader's 批示 and 督办 from the appeal page, through evaluation's verb and
its guard (the form shows exactly when the verb would accept it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minhu.appeals.models import AppealEvent
from minhu.evaluation.models import Supervision, SupervisionStatus

pytestmark = pytest.mark.django_db


def page(client, appeal) -> str:
    return client.get(reverse("web:appeal", args=[appeal.pk])).content.decode()


def supervise(client, appeal, **data):
    return client.post(reverse("web:appeal_supervise", args=[appeal.pk]), data, follow=True)


def test_leader_instructs_and_supervises_from_the_appeal_page(login, org, loop, make_appeal):
    appeal = loop.in_progress(make_appeal())
    client = login(org.district_leader)
    assert 'data-form="supervise"' in page(client, appeal)
    html = supervise(
        client,
        appeal,
        reason="请东街道三个工作日内修复并答复群众",
        requirement="现场核实",
        due_at="2099-01-05",
    ).content.decode()
    assert "已批示并列入督办" in html and "督办中" in html and "请东街道三个工作日内修复" in html
    sup = Supervision.objects.get(appeal=appeal)
    assert sup.status == SupervisionStatus.OPEN and sup.created_by == org.district_leader
    assert sup.requirement == "现场核实" and sup.due_at.date().isoformat() == "2099-01-05"
    assert AppealEvent.objects.filter(appeal=appeal, kind="supervise").count() == 1
    # already supervised: the form is gone and a second one is refused by the verb
    assert 'data-form="supervise"' not in html
    html = supervise(client, appeal, reason="再次督办一下").content.decode()
    assert "该诉求已在督办中" in html
    assert Supervision.objects.filter(appeal=appeal).count() == 1
    # the handler sees the instruction, without the form
    html = page(login(org.s1_handler), appeal)
    assert "督办中" in html and 'data-form="supervise"' not in html


def test_who_may_not_supervise_sees_no_form_and_is_refused(login, org, loop, make_appeal):
    appeal = loop.in_progress(make_appeal())
    client = login(org.s1_handler)
    assert 'data-form="supervise"' not in page(client, appeal)
    assert "只有领导可以督办" in supervise(client, appeal, reason="请尽快办理好").content.decode()
    closed = loop.followed_up(make_appeal("已回访的"))
    leader = login(org.district_leader)
    assert 'data-form="supervise"' not in page(leader, closed) or closed.status == "replied"
    html = supervise(leader, appeal, reason="短").content.decode()
    assert "督办事由至少" in html or "督办事由" in html
    assert not Supervision.objects.exists()
    # outside the leader's scope: not found
    other = make_appeal("西街道的", grid=org.grid2)
    assert login(org.s2_handler).post(
        reverse("web:appeal_supervise", args=[other.pk])
    ).status_code in (302, 200)
    assert (
        login(org.grid1_worker).post(reverse("web:appeal_supervise", args=[other.pk])).status_code
        == 404
    )
