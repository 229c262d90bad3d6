"""The figures module: like-with-like comparisons, volumes year on year per channel, 办结率 /
按时办结率 / outcome counts, their definitions, and the drill-down to exactly their rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent, Channel
from minhu.appeals.tests.factories import in_progress, register
from minhu.evaluation import figures
from minhu.evaluation.periods import Period

from .helpers import at, frozen

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_running_period_is_compared_with_the_same_days_before():
    cmp = figures.comparison(Period("2026-12"), today=D(2026, 12, 3))
    assert cmp.current == (D(2026, 12, 1), D(2026, 12, 4)) and cmp.partial and cmp.days == 3
    assert cmp.previous == (D(2026, 11, 1), D(2026, 11, 4))
    assert cmp.year_ago == (D(2025, 12, 1), D(2025, 12, 4))


def test_an_ended_period_is_compared_whole_and_a_short_month_is_not_overrun():
    cmp = figures.comparison(Period("2025-03"), today=D(2026, 1, 5))
    assert cmp.current == (D(2025, 3, 1), D(2025, 4, 1)) and not cmp.partial
    assert cmp.previous == (D(2025, 2, 1), D(2025, 3, 1))  # all of February, not into March
    assert cmp.year_ago == (D(2024, 3, 1), D(2024, 4, 1))
    nineteenth = figures.comparison(Period("2025-03", 19), today=D(2025, 3, 1))
    assert nineteenth.current == (D(2025, 2, 19), D(2025, 3, 2))
    assert nineteenth.previous == (D(2025, 1, 19), D(2025, 1, 30))


def test_pct_change_without_a_base_is_none():
    assert figures.pct_change(5, 0) is None
    assert figures.pct_change(1, 2) == Decimal("-50.00")


def _on(moment, org, **kw):
    with frozen(moment):
        return register(org, **kw)


def test_dashboard_mom_and_yoy_compare_the_same_days(client, org):
    # November: two appeals in the first three days, one later; December 2026 so far: two.
    for day in (1, 2, 20):
        _on(at(2026, 11, day, 10, 0), org)
    for day in (1, 2):
        _on(at(2026, 12, day, 10, 0), org, channel=Channel.HOTLINE, actor=org.dispatcher)
    _on(at(2025, 12, 1, 10, 0), org, channel=Channel.HOTLINE, actor=org.dispatcher)
    _on(at(2025, 12, 2, 10, 0), org, channel=Channel.HOTLINE, actor=org.dispatcher)
    _on(at(2025, 12, 2, 11, 0), org)  # H5 a year ago, none this year
    _on(at(2025, 12, 25, 10, 0), org, channel=Channel.HOTLINE, actor=org.dispatcher)
    client.force_login(org.district_leader)
    with frozen(at(2026, 12, 3, 15, 0)):
        data = client.get("/api/v1/evaluation/dashboard/?period=2026-12").json()
        page = client.get("/evaluation/?period=2026-12")
    kpi = data["kpi"]
    # 2 against the 2 of 1–3 November (not against all 3 of November, which gives −33%).
    assert (kpi["compared_total"], kpi["prev_total"], kpi["mom"]) == (2, 2, 0.0)
    # 2 against the 3 of 1–3 December 2025 (not the 4 of all December 2025).
    assert (kpi["yoy_total"], kpi["yoy"]) == (3, -33.33)
    assert data["comparison"]["previous"] == {"start": "2026-11-01", "end": "2026-11-04"}
    yoy = {r["key"]: r for r in data["channel_yoy"]}
    assert (yoy["hotline"]["count"], yoy["hotline"]["year_ago"], yoy["hotline"]["yoy"]) == (
        2,
        2,
        0.0,
    )
    assert (yoy["h5"]["count"], yoy["h5"]["year_ago"], yoy["h5"]["yoy"]) == (0, 1, -100.0)
    assert data["volume_trend"][-1] == {
        "period": "2026-12",
        "volume": 2,
        "year_ago": 3,
        "yoy": -33.33,
    }
    html = page.content.decode()
    assert "按已过 3 天同比环比" in html and 'data-table="channel-yoy"' in html
    assert 'data-table="category-yoy"' in html and data["category_yoy"][0]["count"] == 2
    assert data["definitions"]["mom"]["denominator"] == "上期同日数受理量"


def test_yoy_by_channel_is_scoped_to_a_street(org):
    _on(at(2025, 3, 5, 10, 0), org)
    _on(at(2025, 3, 5, 10, 0), org, grid="grid2")  # another street's grid
    _on(at(2024, 3, 5, 10, 0), org)
    rows = figures.yoy_by_channel(Period("2025-03"), org.street1, today=D(2025, 6, 1))
    assert [(r["key"], r["count"], r["year_ago"]) for r in rows] == [("h5", 1, 1)]
    assert rows[0]["label"] == str(Channel.H5.label)
    district = figures.yoy_by_channel(Period("2025-03"), today=D(2025, 6, 1))
    assert [(r["key"], r["count"], r["year_ago"]) for r in district] == [("h5", 2, 1)]
    # Unclassified appeals are one category row, labelled so.
    cats = figures.yoy_by_category(Period("2025-03"), today=D(2025, 6, 1))
    assert [(r["key"], r["label"], r["count"], r["year_ago"], r["yoy"]) for r in cats] == [
        ("", "未分类", 2, 1, Decimal("100.00"))
    ]


def _march_items(org):
    """Three counted items registered in March 2025, one merged duplicate, one in April."""
    with frozen(at(2025, 3, 10, 9, 0)):
        on_time = in_progress(org, subject="按时办结")
        actions.resolve(
            on_time, actor=org.s1_handler, outcome_kind="on_spot", outcome="已经修好路灯"
        )
        late = in_progress(org, subject="超时办结")
        still_open = in_progress(org, subject="还在办理")
        dup = register(org, subject="重复诉求", phone="13900000009")
        actions.merge(dup, actor=org.dispatcher, parent=still_open)
    with frozen(at(2025, 4, 30, 9, 0)):  # long after its deadline
        actions.resolve(
            late, actor=org.s1_handler, outcome_kind="coordinated", outcome="已协调城管处理"
        )
        in_progress(org, subject="四月的诉求")
    return on_time, late, still_open, dup


def test_completion_rates_and_outcomes_are_counted_and_drill_down_to_their_rows(client, org):
    on_time, late, still_open, dup = _march_items(org)
    c = figures.completion(D(2025, 3, 1), D(2025, 4, 1))
    assert (c["registered"], c["handled"], c["unhandled"], c["on_time"], c["late"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert c["completion_rate"] == Decimal("66.67") and c["on_time_rate"] == Decimal("50.00")
    assert {o["key"]: o["count"] for o in c["outcomes"]} == {
        "on_spot": 1,
        "coordinated": 1,
        "long_term": 0,
    }
    assert figures.completion(D(2025, 3, 1), D(2025, 4, 1), org.street2)["registered"] == 0

    client.force_login(org.district_leader)
    data = client.get("/api/v1/evaluation/dashboard/?period=2025-03").json()
    assert data["completion"]["completion_rate"] == 66.67
    assert data["completion"]["on_time_rate"] == 50.0
    assert data["definitions"]["completion_rate"]["name"] == "办结率"

    def listed(query):
        r = client.get(f"/evaluation/appeals/?period=2025-03&{query}")
        assert r.status_code == 200
        return {a.pk for a in r.context["page"].object_list}

    assert listed("dim=handled") == {on_time.pk, late.pk}
    assert listed("dim=on_time") == {on_time.pk}
    assert listed("dim=late") == {late.pk}
    assert listed("dim=unhandled") == {still_open.pk}
    assert listed("dim=outcome&key=coordinated") == {late.pk}
    assert listed(f"dim=handled&unit={org.street1.pk}") == {on_time.pk, late.pk}
    r = client.get("/evaluation/appeals/?period=2025-03&dim=outcome&key=bogus")
    assert r.status_code == 400 and "办理结果不正确" in r.content.decode()

    html = client.get("/evaluation/?period=2025-03").content.decode()
    assert 'data-figure="completion_rate" title="办结率 = ' in html
    assert "66.67%" in html and "2/3" in html
    assert c["closed"] == 0 and c["rectification_rate"] == Decimal("0.00")

    # 整改完成率 counts the items closed out (销号) after the follow-up.
    actions.reply(on_time, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.record_follow_up(
        on_time, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
    )
    actions.close(on_time, actor=org.dispatcher)
    c = figures.completion(D(2025, 3, 1), D(2025, 4, 1))
    assert (c["closed"], c["rectification_rate"], c["handled"]) == (1, Decimal("33.33"), 2)
    assert listed("dim=closed") == {on_time.pk}
    data = client.get("/api/v1/evaluation/dashboard/?period=2025-03").json()
    assert data["completion"]["rectification_rate"] == 33.33
    assert (
        'data-figure="rectification_rate" title="整改完成率 = '
        in client.get("/evaluation/?period=2025-03").content.decode()
    )


def test_rankings_show_completion_per_unit_and_drill_down(client, org):
    on_time, late, still_open, dup = _march_items(org)
    with frozen(at(2025, 3, 12, 9, 0)):
        dept = register(org, subject="部门件")
        actions.classify(dept, actor=org.dispatcher, category=org.category)
        actions.dispatch(dept, actor=org.dispatcher, lead_unit=org.dept1)
    done = figures.completion_by_unit(
        [org.street1, org.street2, org.dept1], D(2025, 3, 1), D(2025, 4, 1)
    )
    assert done[org.street1.pk] == figures.completion(D(2025, 3, 1), D(2025, 4, 1), org.street1)
    # dept's item lies in street 1 by place and is led by dept1.
    assert (done[org.street1.pk]["registered"], done[org.street1.pk]["handled"]) == (4, 2)
    assert (done[org.dept1.pk]["registered"], done[org.dept1.pk]["handled"]) == (1, 0)
    assert done[org.dept1.pk]["completion_rate"] == Decimal("0.00")
    assert done[org.street2.pk]["completion_rate"] is None

    client.force_login(org.district_leader)
    data = client.get("/api/v1/evaluation/rankings/?period=2025-03").json()
    rows = {r["unit"]: r for g in data["groups"].values() for r in g["rows"]}
    s1 = rows[org.street1.pk]
    assert (s1["registered"], s1["handled"], s1["on_time"]) == (4, 2, 1)
    assert (s1["completion_rate"], s1["on_time_rate"]) == ("50.00", "50.00")
    assert (s1["closed"], s1["rectification_rate"]) == (0, "0.00")
    assert s1["outcomes"] == {"on_spot": 1, "coordinated": 1, "long_term": 0}
    assert data["definitions"]["on_time_rate"]["denominator"] == "本期受理且已办结的件数"
    html = client.get("/evaluation/rankings/?period=2025-03").content.decode()
    link = f"/evaluation/appeals/?period=2025-03&unit={org.street1.pk}&dim=on_time"
    assert link in html and "按时办结率 = " in html


def test_overview_and_dashboard_show_one_satisfaction_rate(client, org):
    # 5 satisfied, 3 基本满意, 2 unsatisfied this month: 满意率 (5 + 0.9×3) / 10 = 77.00 on both
    # pages (the overview once counted 基本满意 in full over closed appeals: 80%).
    from .helpers import TEN, follow_up

    now = timezone.localtime()
    for contacted, solved, sat in TEN:
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=now)
    for user, unit in ((org.district_leader, None), (org.s1_leader, org.street1)):
        client.force_login(user)
        overview = client.get("/overview/")
        assert overview.context["satisfaction"].satisfaction_rate == Decimal("77.00")
        query = f"&unit={unit.pk}" if unit else ""
        period = overview.context["rate_period"].key
        data = client.get(f"/api/v1/evaluation/dashboard/?period={period}{query}").json()
        assert data["figures"]["satisfaction_rate"] == 77.0
        html = overview.content.decode()
        assert "77.00%" in html and 'title="满意率 = ' in html


def test_an_item_without_a_resolve_deadline_is_on_time_in_the_event_and_the_figure(
    org, monkeypatch
):
    """按时办结率 and the resolve event's `on_time` flag agree for an item with no resolve
    deadline (a kind without that clock): neither calls it late, and check-aggregates' recount
    (which reads the flag) equals the published figure."""
    from minhu.appeals import kinds
    from minhu.appeals.models import EventKind
    from minhu.deadlines.models import Step

    monkeypatch.setitem(
        kinds._KINDS,
        "no_resolve_clock",
        kinds.WorkKind(code="no_resolve_clock", label="无办结时限", steps=(Step.CLAIM,)),
    )
    with frozen(at(2025, 3, 10, 9, 0)):
        a = in_progress(org, kind="no_resolve_clock", subject="无办结时限的事项")
        late = in_progress(org, subject="超时办结的事项")
    a.refresh_from_db()
    late.refresh_from_db()
    assert a.resolve_due_at is None and late.resolve_due_at is not None
    with frozen(at(2025, 3, 28, 9, 0)):
        for item in (a, late):
            actions.resolve(
                item, actor=org.s1_handler, outcome_kind="on_spot", outcome="已经办理完毕"
            )
    flag = {
        e.appeal_id: e.data["on_time"]
        for e in AppealEvent.objects.filter(kind=EventKind.RESOLVE, appeal__in=[a, late])
    }
    assert flag == {a.pk: True, late.pk: False}
    march = (D(2025, 3, 1), D(2025, 4, 1))
    done = figures.completion(*march)
    assert (done["handled"], done["on_time"], done["late"]) == (2, 1, 1)
    assert figures.recount_completion(*march)[0]["on_time"] == 1
    assert figures.check_completion(*march) == []


def test_the_three_rates_mom_compares_the_same_days_in_percentage_points(client, org):
    """环比 of 响应率/解决率/满意率/综合得分: February's first ten days (one answer: contacted,
    solved, 满意 → 100/100/100/100) against March's first ten days (two answers, one of them
    not contacted, unsolved, 不满意 → 50/50/50/50): −50.00 points each. A late-February answer
    (不满意) stays out while March is running, and counts once March has ended."""
    from minhu.evaluation.config import active_config

    from .helpers import follow_up

    follow_up(org, org.street1, when=at(2025, 2, 5, 10, 0))
    follow_up(
        org,
        org.street1,
        contacted=False,
        solved=False,
        satisfaction="unsatisfied",
        when=at(2025, 2, 20, 10, 0),
    )
    follow_up(org, org.street1, when=at(2025, 3, 3, 10, 0))
    follow_up(
        org,
        org.street1,
        contacted=False,
        solved=False,
        satisfaction="unsatisfied",
        when=at(2025, 3, 4, 10, 0),
    )
    config = active_config()
    running = figures.rate_changes(Period("2025-03"), config, today=D(2025, 3, 10))
    assert {k: (v["now"], v["previous"], v["change"]) for k, v in running.items()} == {
        k: (Decimal("50.00"), Decimal("100.00"), Decimal("-50.00")) for k in figures.RATE_KEYS
    }
    ended = figures.rate_changes(Period("2025-03"), config, today=D(2025, 4, 2))
    # February whole: contacted 1/2, solved 1/2, satisfied 1/2 → 50 each: no change.
    assert {k: v["change"] for k, v in ended.items()} == dict.fromkeys(
        figures.RATE_KEYS, Decimal("0.00")
    )
    street = figures.rate_changes(Period("2025-03"), config, org.street2, today=D(2025, 4, 2))
    assert street["satisfaction_rate"] == {"now": None, "previous": None, "change": None}

    client.force_login(org.district_leader)
    data = client.get("/api/v1/evaluation/dashboard/?period=2025-03").json()
    assert data["rate_mom"]["satisfaction_rate"] == {"now": 50.0, "previous": 50.0, "change": 0.0}
    html = client.get("/evaluation/?period=2025-03").content.decode()
    assert 'data-mom="0.00"' in html and "三率环比（百分点）" in html
