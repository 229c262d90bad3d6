"""No page runs more than 30 queries with ~60 appeals in every state (no N+1)."""

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Status
from minhu.notifications.models import Notification

pytestmark = pytest.mark.django_db

MAX_QUERIES = 30


@pytest.fixture
def sixty(org, make_appeal, loop):
    """About 60 appeals spread over the loop, with extensions, whistles and follow-ups."""
    made = []
    for i in range(60):
        grid = org.grid1 if i % 3 else org.grid2
        a = make_appeal(f"第{i}号诉求：路灯不亮", grid=grid, urgency=("normal", "urgent")[i % 2])
        kind = i % 10
        lead = org.street1 if grid == org.grid1 else org.street2
        if kind == 0:
            pass  # new
        elif kind == 1:
            loop.dispatched(a, lead=lead, assist=[org.dept1])
        elif kind == 2:
            loop.dispatched(a, lead=org.street1)
            actions.return_appeal(a, actor=org.s1_handler, reason="不属于本街道职责")
        elif kind in (3, 4):
            loop.in_progress(a, assist=[org.dept1])
            actions.claim(a, actor=org.d1_handler)
            if kind == 4:
                actions.request_extension(a, actor=org.s1_handler, days=2, reason="等待配件")
        elif kind == 5:
            loop.in_progress(a)
            actions.blow_whistle(
                a, actor=org.s1_handler, departments=[org.dept1, org.dept2], reason="需要协同"
            )
            actions.report_summons(a, actor=org.d1_handler, share="负责一部分")
        elif kind == 6:
            loop.resolved(a)
        elif kind == 7:
            loop.replied(a)
        elif kind == 8:
            loop.followed_up(a)
        else:
            loop.followed_up(a)
            actions.close(a, actor=org.dispatcher)
        made.append(a)
    for a in made:
        a.refresh_from_db()
    assert Appeal.objects.count() == 60
    assert Appeal.objects.filter(status=Status.CLOSED).count() == 6
    assert Notification.objects.count() > 20
    return made


def pages(org, sixty):
    busy = next(a for a in sixty if a.status == Status.ESCALATED)
    new = next(a for a in sixty if a.status == Status.NEW)
    replied = next(a for a in sixty if a.status == Status.REPLIED)
    out = [
        (org.dispatcher, reverse("web:dispatch") + f"?tab={t}")
        for t in ("new", "returned", "dispatched", "escalated", "extensions")
    ]
    out += [
        (org.dispatcher, reverse("web:dispatch_panel", args=[new.pk])),
        (org.dispatcher, reverse("web:intake")),
        (org.dispatcher, reverse("web:appeals")),
        (org.dispatcher, reverse("web:appeals") + "?q=路灯&due=on_time&urgency=urgent"),
        (org.s1_handler, reverse("web:appeals")),
        (org.callback, reverse("web:follow_up")),
        (org.dispatcher, reverse("web:follow_up") + "?tab=close"),
        (org.callback, reverse("web:follow_up_panel", args=[replied.pk])),
        (org.district_leader, reverse("web:overview")),
        (org.s1_leader, reverse("web:overview")),
        (org.s1_handler, reverse("web:notifications") + "?show=all"),
        (org.dispatcher, reverse("web:appeal", args=[busy.pk])),
        (org.s1_handler, reverse("web:appeal", args=[busy.pk])),
        (org.d1_handler, reverse("web:appeal", args=[busy.pk])),
        (org.d1_handler, reverse("web:workbench") + "?tab=summoned"),
        (org.d1_handler, reverse("web:workbench") + "?tab=progress"),
    ]
    out += [
        (org.s1_handler, reverse("web:workbench") + f"?tab={t}")
        for t in ("claim", "progress", "reply", "due_soon", "overdue", "returned", "summoned")
    ]
    out += [
        (org.admin, reverse(name))
        for name in (
            "web:manage_units",
            "web:manage_users",
            "web:manage_categories",
            "web:manage_time_limits",
            "web:manage_calendar",
            "web:manage_points",
        )
    ]
    return out


def test_every_page_stays_under_30_queries(client, org, sixty, django_assert_max_num_queries):
    for user, url in pages(org, sixty):
        client.force_login(user)
        with django_assert_max_num_queries(MAX_QUERIES, info=url):
            r = client.get(url)
        assert r.status_code == 200, url


def test_lists_do_not_grow_with_rows(client, org, sixty, make_appeal, loop):
    """Ten more rows in each watched list: the same number of queries (no query per row). Each
    list is below its page size and shows the added rows (checked), so a query per row would
    change the count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fixed = next(a for a in sixty if a.status == Status.DISPATCHED)
    lists = [
        # The same appeal in the panel each time (the panel's queries depend on the appeal).
        (org.dispatcher, reverse("web:dispatch") + f"?tab=dispatched&id={fixed.pk}", "派"),
        (org.dispatcher, reverse("web:appeals") + "?status=in_progress", "办"),
        (org.s1_handler, reverse("web:workbench") + "?tab=progress", "办"),
    ]
    overview = (org.district_leader, reverse("web:overview"))

    def get(user, url):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        return len(ctx.captured_queries), html

    def counts():
        return [get(u, url)[0] for u, url, _tag in lists] + [get(*overview)[0]]

    counts()  # warm the caches (the duplicates engine keeps some between requests)
    before = counts()
    for _u, url, _tag in lists:
        assert "加的第" not in get(_u, url)[1]
    for i in range(10):
        loop.in_progress(make_appeal(f"加的第{i}件办理"), assist=[org.dept1])
        loop.dispatched(make_appeal(f"加的第{i}件派单"), lead=org.street1)
    counts()  # warm again: new appeals invalidate the engine's cache
    for user, url, tag in lists:
        html = get(user, url)[1]
        shown = sum(
            1 for i in range(10) if f"加的第{i}件{'办理' if tag == '办' else '派单'}" in html
        )
        assert shown == 10, url  # the list really grew by ten rows
    assert counts() == before
