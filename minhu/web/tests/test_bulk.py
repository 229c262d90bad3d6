"""Desk feature 2: bulk actions on selected rows. Each row goes through its verb and guard; the
result says which rows failed and why, and the others are done."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent, Status
from minhu.notifications.models import Notification

pytestmark = pytest.mark.django_db


def bulk(client, name, ids, follow=False, **data):
    return client.post(
        reverse("web:bulk", args=[name]), {"ids": [str(i) for i in ids], **data}, follow=follow
    )


def test_bulk_claim_reports_the_rows_that_failed(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal("甲诉求"))
    b = loop.dispatched(make_appeal("乙诉求"))
    taken = loop.in_progress(make_appeal("已被签收的"))
    elsewhere = loop.dispatched(make_appeal("西街道的", grid=org.grid2), lead=org.street2)
    client = login(org.s1_handler)
    response = bulk(client, "claim", [a.pk, b.pk, taken.pk, elsewhere.pk], unit_id=org.street1.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-done="2"' in html and 'data-failed="2"' in html
    for x in (a, b):
        x.refresh_from_db()
        assert x.status == Status.IN_PROGRESS
        assert AppealEvent.objects.filter(appeal=x, kind="claim").count() == 1
    # the claimed one fails with the guard's message; the other street's is not found
    assert html.count("失败</span>") == 2
    assert f'data-row="{elsewhere.pk}"' in html and "未找到" in html
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS


def test_bulk_dispatch_to_one_unit(login, org, make_appeal):
    fresh = [make_appeal(f"新诉求{i}") for i in range(2)]
    merged = make_appeal("已合并的")
    actions.merge(merged, actor=org.dispatcher, parent=fresh[0])
    client = login(org.dispatcher)
    response = bulk(client, "dispatch", [*(a.pk for a in fresh), merged.pk], lead_unit=org.dept1.pk)
    html = response.content.decode()
    assert 'data-done="2"' in html and 'data-failed="1"' in html
    for a in fresh:
        a.refresh_from_db()
        assert a.status == Status.DISPATCHED and a.lead_unit == org.dept1
    # no unit chosen: nothing is done and the list says why
    other = make_appeal("又一件")
    response = bulk(client, "dispatch", [other.pk], follow=True)
    assert "请选择主办单位" in response.content.decode()
    other.refresh_from_db()
    assert other.status == Status.NEW


def test_bulk_close_and_roles(login, org, loop, make_appeal):
    done = loop.followed_up(make_appeal("已回访的"))
    not_called = loop.replied(make_appeal("未回访的"))
    client = login(org.dispatcher)
    html = bulk(client, "close", [done.pk, not_called.pk]).content.decode()
    assert 'data-done="1"' in html and "尚未回访，不能销号" in html
    done.refresh_from_db()
    not_called.refresh_from_db()
    assert done.status == Status.CLOSED and not_called.status == Status.REPLIED
    # who may not open the list may not run its bulk action
    assert bulk(login(org.grid1_worker), "close", [not_called.pk]).status_code == 403
    assert bulk(login(org.callback), "dispatch", [not_called.pk]).status_code == 403
    assert bulk(client, "nonsense", [done.pk]).status_code == 404


def test_bulk_mark_read_only_ones_own(login, org, loop, make_appeal):
    loop.dispatched(make_appeal("甲诉求"))
    loop.dispatched(make_appeal("乙诉求"))
    mine = list(Notification.objects.filter(recipient=org.s1_handler, channel="in_app"))
    theirs = Notification.objects.filter(channel="in_app").exclude(recipient=org.s1_handler)
    assert len(mine) >= 2 and theirs.exists()
    other = theirs.first()
    client = login(org.s1_handler)
    html = bulk(client, "read", [*(n.pk for n in mine), other.pk]).content.decode()
    assert f'data-done="{len(mine)}"' in html and 'data-failed="1"' in html
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_nothing_selected(login, org):
    response = bulk(login(org.dispatcher), "close", [], follow=True)
    assert "请先勾选要处理的记录" in response.content.decode()


def test_lists_offer_the_bulk_bar(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    html = login(org.s1_handler).get(reverse("web:workbench") + "?tab=claim").content.decode()
    assert 'action="/bulk/claim/"' in html and f'name="ids" value="{a.pk}" form="bulk"' in html
    make_appeal("新的")
    html = login(org.dispatcher).get(reverse("web:dispatch")).content.decode()
    assert 'action="/bulk/dispatch/"' in html and 'name="lead_unit"' in html
    html = login(org.dispatcher).get(reverse("web:follow_up") + "?tab=close").content.decode()
    assert "/bulk/close/" not in html  # nothing to close yet: no bar
