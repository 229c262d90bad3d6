"""Every filter of the appeal list, and its fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minhu.appeals import actions
from minhu.appeals.models import AppellantKind, Channel, Urgency
from minhu.appeals.tests.factories import client_for, error_code
from minhu.categories.models import Category
from minhu.deadlines.models import Measure, Step, TimeLimitPolicy

API = "/api/v1/appeals/"


def _register(org, **extra):
    data = {
        "channel": Channel.HOTLINE,
        "subject": "路灯不亮",
        "detail": "小区门口路灯坏了一周",
        "appellant_name": "张三",
        "appellant_phone": "13812345678",
        **extra,
    }
    return actions.register_appeal(actor=org.dispatcher, **data)


@pytest.fixture
def data(org):
    """a1: street1, streetlight (child category), dispatched to street1 + dept1.
    a2: street2, urgent, h5, claimed by street2.  a3: new, first-level category, noise.
    a4: registered on 2024-01-10 23:30 Shanghai time, wechat group."""
    a1 = _register(org, grid=org.grid1, category=org.category)
    actions.dispatch(a1, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    a2 = _register(org, grid=org.grid2, channel=Channel.H5, urgency=Urgency.URGENT)
    actions.dispatch(a2, actor=org.dispatcher, lead_unit=org.street2)
    actions.claim(a2, actor=org.s2_handler)
    a3 = _register(
        org,
        subject="夜间噪音扰民",
        detail="楼下烧烤店凌晨还在营业",
        address="幸福路18号",
        category=org.top_category,
        channel=Channel.WECHAT_GROUP,
    )
    a4 = _register(
        org,
        subject="井盖缺失",
        detail="人行道井盖丢失很危险",
        channel=Channel.WECHAT_GROUP,
        created_at=timezone.make_aware(dt.datetime(2024, 1, 10, 23, 30)),
    )
    return org, {"a1": a1, "a2": a2, "a3": a3, "a4": a4}


def _ids(client, params) -> set[str]:
    r = client.get(API, params)
    assert r.status_code == 200, r.content
    return {row["code"] for row in r.json()["results"]}


def _codes(appeals, *names) -> set[str]:
    return {appeals[n].code for n in names}


def test_status_single_repeated_and_comma(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"status": "new"}) == _codes(a, "a3", "a4")
    assert _ids(c, {"status": "new,dispatched"}) == _codes(a, "a1", "a3", "a4")
    assert _ids(c, {"status": ["dispatched", "in_progress"]}) == _codes(a, "a1", "a2")
    r = c.get(API, {"status": "bogus"})
    assert r.status_code == 400 and error_code(r) == "invalid"
    assert "status" in r.json()["error"]["details"]


def test_unit_filters(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"lead_unit": org.street1.pk}) == _codes(a, "a1")
    assert _ids(c, {"lead_unit": org.dept1.pk}) == set()
    assert _ids(c, {"unit": org.dept1.pk}) == _codes(a, "a1")  # assisting
    assert _ids(c, {"unit": org.street2.pk}) == _codes(a, "a2")
    assert _ids(c, {"street": org.street1.pk}) == _codes(a, "a1")
    assert _ids(c, {"grid": org.grid2.pk}) == _codes(a, "a2")
    r = c.get(API, {"lead_unit": "abc"})
    assert r.status_code == 400 and "lead_unit" in r.json()["error"]["details"]


def test_unit_filter_includes_summoned_departments(data):
    org, a = data
    actions.claim(a["a1"], actor=org.s1_handler)
    actions.blow_whistle(
        a["a1"], actor=org.s1_leader, departments=[org.dept2], reason="需要住建配合"
    )
    c = client_for(org.dispatcher)
    assert _ids(c, {"unit": org.dept2.pk}) == _codes(a, "a1")


def test_category_includes_children_of_a_first_level_category(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"category": org.top_category.pk}) == _codes(a, "a1", "a3")
    assert _ids(c, {"category": org.category.pk}) == _codes(a, "a1")


def test_channel_urgency_open(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"channel": "h5"}) == _codes(a, "a2")
    assert _ids(c, {"channel": "wechat_group,h5"}) == _codes(a, "a2", "a3", "a4")
    assert _ids(c, {"urgency": "urgent"}) == _codes(a, "a2")
    assert _ids(c, {"urgency": "normal"}) == _codes(a, "a1", "a3", "a4")
    actions.merge(a["a4"], actor=org.dispatcher, parent=a["a3"])
    assert _ids(c, {"is_open": "false"}) == _codes(a, "a4")
    assert _ids(c, {"is_open": "true"}) == _codes(a, "a1", "a2", "a3")


def test_created_dates_are_local_days(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"created_after": "2024-01-10", "created_before": "2024-01-10"}) == _codes(
        a, "a4"
    )
    assert _ids(c, {"created_before": "2024-01-09"}) == set()
    assert _ids(c, {"created_after": "2024-01-11"}) == _codes(a, "a1", "a2", "a3")
    r = c.get(API, {"created_after": "yesterday"})
    assert r.status_code == 400


def test_text_search(data):
    org, a = data
    c = client_for(org.dispatcher)
    assert _ids(c, {"q": "噪音"}) == _codes(a, "a3")
    assert _ids(c, {"q": "烧烤"}) == _codes(a, "a3")  # detail
    assert _ids(c, {"q": "幸福路"}) == _codes(a, "a3")  # address
    assert _ids(c, {"q": a["a1"].code.lower()}) == _codes(a, "a1")  # code
    assert _ids(c, {"q": "不存在的内容"}) == set()


def test_ordering(data):
    org, a = data
    c = client_for(org.dispatcher)
    rows = c.get(API, {"ordering": "created_at"}).json()["results"]
    assert rows[0]["code"] == a["a4"].code
    rows = c.get(API).json()["results"]  # default: newest first
    assert rows[-1]["code"] == a["a4"].code
    assert c.get(API, {"ordering": "secret_field"}).status_code == 400


def test_pagination(data):
    org, a = data
    c = client_for(org.dispatcher)
    page1 = c.get(API, {"page_size": 3}).json()
    assert page1["count"] == 4 and len(page1["results"]) == 3 and page1["next"]
    page2 = c.get(API, {"page_size": 3, "page": 2}).json()
    assert len(page2["results"]) == 1
    seen = {r["code"] for r in page1["results"]} | {r["code"] for r in page2["results"]}
    assert seen == _codes(a, "a1", "a2", "a3", "a4")
    r = c.get(API, {"page": 9})
    assert r.status_code == 404 and error_code(r) == "not_found"


def test_scope_applies_before_filters(data):
    org, a = data
    west = client_for(org.s2_handler)
    assert _ids(west, {}) == _codes(a, "a2")
    assert _ids(west, {"street": org.street1.pk}) == set()


def test_due_state_filter(org):
    """overdue / due_soon / on_time, derived from current_due_at and MINHU_DUE_SOON_HOURS."""
    slow = Category.objects.create(name="慢", code="slow", parent=org.top_category)
    fast = Category.objects.create(name="快", code="fast", parent=org.top_category)
    for cat, claim_hours in ((slow, 1000), (fast, 2)):
        for step, hours in ((Step.CLAIM, claim_hours), (Step.CONTACT, 1000), (Step.RESOLVE, 1000)):
            TimeLimitPolicy.objects.create(
                step=step, category=cat, amount=Decimal(hours), measure=Measure.NATURAL_HOURS
            )
    on_time = _register(org, grid=org.grid1, category=slow)
    due_soon = _register(org, grid=org.grid1, category=fast)
    overdue = _register(org, grid=org.grid1, category=fast)
    no_clock = _register(org, grid=org.grid1, category=fast, appellant_kind=AppellantKind.ANONYMOUS)
    for x in (on_time, due_soon):
        actions.dispatch(x, actor=org.dispatcher, lead_unit=org.street1)
    long_ago = timezone.now() - dt.timedelta(days=30)
    with mock.patch("minhu.appeals.verbs._common._now", return_value=long_ago):
        actions.dispatch(overdue, actor=org.dispatcher, lead_unit=org.street1)

    c = client_for(org.dispatcher)
    assert _ids(c, {"due_state": "overdue"}) == {overdue.code}
    assert _ids(c, {"due_state": "due_soon"}) == {due_soon.code}
    assert _ids(c, {"due_state": "on_time"}) == {on_time.code}
    assert _ids(c, {"due_state": "overdue,due_soon"}) == {overdue.code, due_soon.code}
    rows = {r["code"]: r["due_state"] for r in c.get(API).json()["results"]}
    assert rows == {
        on_time.code: "on_time",
        due_soon.code: "due_soon",
        overdue.code: "overdue",
        no_clock.code: "",
    }
    assert _ids(c, {"due_state": "none"}) == {no_clock.code}
    assert c.get(API, {"due_state": "late"}).status_code == 400


def _make(org, n: int) -> None:
    for i in range(n):
        grid, street = (org.grid1, org.street1) if i % 2 else (org.grid2, org.street2)
        a = _register(org, grid=grid, category=org.category, subject=f"诉求{i:03d}")
        actions.dispatch(a, actor=org.dispatcher, lead_unit=street, assist_units=[org.dept1])


# Per request with token auth: the token (with its user), the user's memberships (scope), the
# count, the page. Nothing per row.
LIST_QUERY_BUDGET = 4


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_list_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    c = _token_client(org.dispatcher)
    _make(org, 3)
    with CaptureQueriesContext(connection) as small:
        assert len(c.get(API, {"page_size": 100}).json()["results"]) == 3
    _make(org, 27)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        rows = c.get(API, {"page_size": 100}).json()["results"]
    assert len(rows) == 30 and all(r["lead_unit"] and r["category"]["full_name"] for r in rows)
    with CaptureQueriesContext(connection) as large:
        rows = c.get(API, {"page_size": 100, "status": "dispatched", "unit": org.dept1.pk})
    assert len(rows.json()["results"]) == 30
    assert len(large) == len(small) == LIST_QUERY_BUDGET

    # A scoped user (EXISTS subqueries for assignments and summonses) costs the same.
    west = _token_client(org.s2_handler)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(west.get(API, {"page_size": 100}).json()["results"]) == 16


def test_detail_query_count_does_not_grow(org, django_assert_max_num_queries):
    a = _register(org, grid=org.grid1, category=org.category)
    actions.dispatch(
        a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1, org.dept2]
    )
    c = client_for(org.dispatcher)
    c.get(f"{API}{a.pk}/")
    with CaptureQueriesContext(connection) as one_round:
        c.get(f"{API}{a.pk}/")
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept3])
    actions.claim(a, actor=org.s1_handler)
    actions.claim(a, actor=org.d3_handler)
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept2], reason="协同处理"
    )
    with CaptureQueriesContext(connection) as more:
        body = c.get(f"{API}{a.pk}/").json()
    assert len(body["assignments"]) == 5 and len(body["summonses"]) == 2
    assert len(more) == len(one_round)


def test_multi_value_filters_do_not_select_distinct(data):
    """status/channel/urgency/due_state are conditions on the appeal's own columns: no join
    can repeat a row, so neither the page nor its count needs DISTINCT."""
    org, _a = data
    desk = client_for(org.dispatcher)
    query = "?status=new,dispatched&channel=hotline,wechat_group&urgency=normal,urgent"
    query += "&due_state=on_time,none"
    with CaptureQueriesContext(connection) as ctx:
        r = desk.get(API + query)
    assert r.status_code == 200 and r.json()["count"] >= 1
    listed = [q["sql"] for q in ctx.captured_queries if "appeals_appeal" in q["sql"]]
    assert len(listed) >= 2  # the count and the page
    assert not [sql for sql in listed if "DISTINCT" in sql.upper()]
