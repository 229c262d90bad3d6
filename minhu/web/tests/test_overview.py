"""Leader overview: counts by state, overdue and today's appeals within the user's scope."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.appeals.models import Appeal

pytestmark = pytest.mark.django_db


def test_access(login, org):
    for user in (org.s1_handler, org.callback, org.grid1_worker):
        assert login(user).get(reverse("web:overview")).status_code == 403


def test_district_leader_sees_everything(login, org, loop, make_appeal):
    east = loop.in_progress(make_appeal("东街道的事"))
    west = loop.dispatched(make_appeal("西街道的事", grid=org.grid2), lead=org.street2)
    Appeal.objects.filter(pk=west.pk).update(current_due_at=timezone.now() - dt.timedelta(hours=1))
    r = login(org.district_leader).get(reverse("web:overview"))
    ctx = r.context
    assert ctx["scope_label"] == "全区"
    assert ctx["totals"]["open"] == 2 and ctx["totals"]["overdue"] == 1
    assert ctx["totals"]["today_new"] == 2
    assert [a.pk for a in ctx["overdue"]] == [west.pk]
    assert {a.pk for a in ctx["today_new"]} == {east.pk, west.pk}
    statuses = {v: n for v, _label, n in ctx["statuses"]}
    assert statuses["in_progress"] == 1 and statuses["dispatched"] == 1
    html = r.content.decode()
    assert "西街道的事" in html and "运行概览" in html


def test_overview_reads_recent_and_open_rows(login, org, make_appeal):
    """The overview reads only recent and open rows (a history of tens of millions is not
    scanned on every visit): the status bars are the open states; 满意率 is the evaluation's
    figure (minhu/evaluation/tests/test_figures.py checks it equals the dashboard's)."""
    now = timezone.now()
    recent = make_appeal("最近销号")
    old = make_appeal("早已销号")
    Appeal.objects.filter(pk=recent.pk).update(
        status="closed", closed_at=now - dt.timedelta(days=5), satisfaction="satisfied"
    )
    Appeal.objects.filter(pk=old.pk).update(
        status="closed", closed_at=now - dt.timedelta(days=40), satisfaction="unsatisfied"
    )
    ctx = login(org.district_leader).get(reverse("web:overview")).context
    assert ctx["satisfaction"].valid == 0 and ctx["satisfaction"].satisfaction_rate is None
    assert ctx["totals"]["open"] == 0 and ctx["totals"]["today_closed"] == 0
    assert "closed" not in {v for v, _label, _n in ctx["statuses"]}


def test_unit_leader_sees_own_subtree(login, org, loop, make_appeal):
    east = loop.in_progress(make_appeal("东街道的事"))
    west = loop.dispatched(make_appeal("西街道的事", grid=org.grid2), lead=org.street2)
    r = login(org.s1_leader).get(reverse("web:overview"))
    ctx = r.context
    assert ctx["scope_label"] == "东街道"
    assert ctx["totals"]["open"] == 1
    assert {a.pk for a in ctx["today_new"]} == {east.pk}
    assert "西街道的事" not in r.content.decode() and west.code not in r.content.decode()


def test_empty_state(login, org):
    html = login(org.district_leader).get(reverse("web:overview")).content.decode()
    assert "暂无数据" in html and "没有超时的诉求" in html


def test_appeal_list_filters(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("路灯不亮"))
    b = make_appeal("噪音扰民", grid=org.grid2, channel="miniprogram")
    c = loop.dispatched(make_appeal("井盖丢失"), lead=org.dept1)
    Appeal.objects.filter(pk=c.pk).update(current_due_at=timezone.now() - dt.timedelta(hours=1))
    client = login(org.dispatcher)

    def found(query):
        html = client.get(reverse("web:appeals") + query).content.decode()
        return {x.code for x in (a, b, c) if x.code in html}

    assert found("") == {a.code, b.code, c.code}
    assert found("?q=噪音") == {b.code}
    assert found(f"?q={a.code}") == {a.code}
    assert found("?q=13812345678") == {a.code, b.code, c.code}
    assert found("?status=in_progress") == {a.code}
    assert found(f"?category={org.top_category.pk}") == {a.code, c.code}
    assert found(f"?unit={org.dept1.pk}") == {c.code}
    assert found("?channel=miniprogram") == {b.code}
    assert found("?due=overdue") == {c.code}
    today = timezone.localdate()
    assert found(f"?date_from={today:%Y-%m-%d}&date_to={today:%Y-%m-%d}") == {
        a.code,
        b.code,
        c.code,
    }
    tomorrow = today + dt.timedelta(days=1)
    assert found(f"?date_from={tomorrow:%Y-%m-%d}") == set()
    # An invalid filter value is ignored with a message, not a crash.
    r = client.get(reverse("web:appeals") + "?status=bogus")
    assert r.status_code == 200


def test_appeal_list_is_scoped(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("东边的"))
    b = make_appeal("西边的", grid=org.grid2)
    html = login(org.s1_handler).get(reverse("web:appeals")).content.decode()
    assert a.code in html and b.code not in html


def test_pagination(login, org, make_appeal):
    for i in range(55):
        make_appeal(f"诉求第{i}件")
    client = login(org.dispatcher)
    html = client.get(reverse("web:appeals")).content.decode()
    assert "共 55 条" in html and "1 / 2" in html and 'rel="next"' in html
    html = client.get(reverse("web:appeals") + "?page=2").content.decode()
    assert "第 51–55 条" in html
