"""Every figure of the leader overview opens exactly the rows it counts: each link marked
data-count="N" leads to an appeal list of N rows."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Status

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a[^>]*href="([^"]+)"[^>]*data-count="(\d+)"')


def _day(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture
def mixed(org, loop, make_appeal):
    """Appeals of every kind the overview tells apart: open in several states and units,
    overdue and due soon, closed today and closed earlier, registered today and earlier."""
    loop.dispatched(make_appeal("东街道待签收"))
    late = loop.in_progress(make_appeal("东街道办理中超时"))
    Appeal.objects.filter(pk=late.pk).update(current_due_at=timezone.now() - dt.timedelta(hours=3))
    soon = loop.dispatched(make_appeal("西街道即将超时", grid=org.grid2), lead=org.street2)
    actions.claim(soon, actor=org.s2_handler)
    Appeal.objects.filter(pk=soon.pk).update(current_due_at=timezone.now() + dt.timedelta(hours=2))
    whistled = loop.in_progress(make_appeal("东街道吹哨"))
    actions.blow_whistle(
        whistled, actor=org.s1_leader, departments=[org.dept1], reason="需要城管协同"
    )
    loop.replied(make_appeal("东街道待回访"))
    make_appeal("新登记待派单")
    old_new = make_appeal("昨天登记的")
    Appeal.objects.filter(pk=old_new.pk).update(created_at=_day(1))
    closed_today = loop.followed_up(make_appeal("今天销号"))
    if closed_today.status != Status.CLOSED:
        actions.close(closed_today, actor=org.dispatcher)
    closed_before = loop.followed_up(make_appeal("上周销号"))
    if closed_before.status != Status.CLOSED:
        actions.close(closed_before, actor=org.dispatcher)
    Appeal.objects.filter(pk=closed_before.pk).update(closed_at=_day(6), created_at=_day(9))
    return org


def _figures(client) -> list[tuple[str, int]]:
    page = client.get(reverse("web:overview")).content.decode()
    return [(html.unescape(href), int(n)) for href, n in LINK.findall(page)]


@pytest.mark.parametrize("who", ["district_leader", "s1_leader"])
def test_every_overview_figure_opens_the_rows_it_counts(login, mixed, who):
    client = login(getattr(mixed, who))
    figures = _figures(client)
    hrefs = {h for h, _n in figures}
    # The KPI row, every status bar and every unit's figures are links.
    for expected in ("status=open", "due=overdue", "due=due_soon", "closed_from=", "date_from="):
        assert any(expected in h for h in hrefs), expected
    assert sum(1 for h in hrefs if "unit=" in h) >= 3
    assert any(n for _h, n in figures), "the fixture gives non-zero figures"
    for href, n in figures:
        r = client.get(href)
        assert r.status_code == 200
        assert r.context["filters"].is_valid(), (href, r.context["filters"].errors)
        assert r.context["page"].paginator.count == n, href


def test_open_figure_differs_from_all_rows(login, mixed):
    """在办 is not "every appeal": the closed ones stay out of its list."""
    client = login(mixed.district_leader)
    figures = dict(_figures(client))
    open_href = next(h for h in figures if h.endswith("?status=open"))
    everything = client.get(reverse("web:appeals")).context["page"].paginator.count
    assert figures[open_href] < everything
    closed_today = next(h for h in figures if "closed_from=" in h)
    assert figures[closed_today] == 1


def test_date_range_the_wrong_way_round_says_so(login, org, make_appeal):
    make_appeal()
    client = login(org.dispatcher)
    r = client.get(reverse("web:appeals"), {"date_from": "2026-12-08", "date_to": "2026-12-01"})
    body = r.content.decode()
    assert "受理起始日期 2026-12-08 晚于截止日期 2026-12-01" in body
    r = client.get(reverse("web:appeals"), {"closed_from": "2026-12-08", "closed_to": "2026-12-01"})
    assert "销号起始日期" in r.content.decode()


def test_phone_search_by_the_last_four_digits(login, org, make_appeal):
    mine = make_appeal("路灯不亮", appellant_phone="13912345678")
    other = make_appeal("井盖缺失", appellant_phone="13900001111")
    page = login(org.dispatcher).get(reverse("web:appeals"), {"q": "5678"}).context["page"]
    assert [a.pk for a in page] == [mine.pk]
    page = login(org.dispatcher).get(reverse("web:appeals"), {"q": "0000"}).context["page"]
    assert [a.pk for a in page] == []  # the middle digits are not "the last four"
    assert other.pk


def test_grid_worker_intake_preselects_their_grid(login, org):
    form = login(org.grid1_worker).get(reverse("web:intake")).context["form"]
    assert form["grid"].value() == org.grid1.pk
    assert login(org.dispatcher).get(reverse("web:intake")).context["form"]["grid"].value() is None


def test_returned_appeal_says_no_zero_day_extension(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    actions.return_appeal(a, actor=org.s1_handler, reason="不属于本街道管辖范围")
    html = login(org.dispatcher).get(reverse("web:appeal", args=[a.pk])).content.decode()
    assert "退单1次" in html and "已延期0" not in html
