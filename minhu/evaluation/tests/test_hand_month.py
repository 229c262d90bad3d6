"""A month whose figures are known by hand (March 2025, 东街道), taken through the real loop:
every page and API shows exactly these figures, and `check-aggregates` recounts them from the
events (and catches a row changed behind the event log's back).

    item  registered  handled (outcome, on time)   follow-up in March            closed
    A     10 Mar      10 Mar on_spot, on time       contacted, solved, 满意        yes
    B     10 Mar      10 Mar coordinated, on time   not contacted, solved, 基本满意  yes
    C     10 Mar      10 Mar on_spot, then reopened contacted, unsolved, 不满意     no
                      by the unsatisfied answer (in progress again: not handled)
    D     10 Mar      30 Apr coordinated, late      —                              no
    E     10 Mar      —                             —                              no
    F     10 Mar      merged into E (not an item of its own; counted in the volume)

    volume 6; 办结率 3/5 = 60.00%; 按时办结率 2/3 = 66.67%; 整改完成率 2/5 = 40.00%;
    outcomes 当场解决 1, 协调解决 2, 长期推进 0; not handled 2 (C, E).
    响应率 2/3 = 66.67%; 解决率 2/3 = 66.67%; 满意率 (1 + 0.9 × 1)/3 = 63.33%;
    综合得分 0.1 × 66.67 + 0.5 × 66.67 + 0.4 × 63.33 = 65.33 (from the exact rates).
"""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Status
from minhu.appeals.tests.factories import in_progress, register
from minhu.evaluation import aggregates, figures

from .helpers import at, frozen

pytestmark = pytest.mark.django_db
REPLY = "您好，您反映的问题已经办理，感谢您的反映。"


def _handled(org, subject, outcome_kind, follow_up=None, close=False):
    a = in_progress(org, subject=subject)
    actions.resolve(a, actor=org.s1_handler, outcome_kind=outcome_kind, outcome="已经办理完毕")
    if follow_up:
        actions.reply(a, actor=org.s1_handler, text=REPLY)
        contacted, solved, satisfaction = follow_up
        actions.record_follow_up(
            a,
            actor=org.callback,
            contacted=contacted,
            solved=solved,
            satisfaction=satisfaction,
        )
    if close:
        actions.close(a, actor=org.dispatcher)
    return a


@pytest.fixture
def march(org):
    with frozen(at(2025, 3, 10, 9, 0)):
        a = _handled(org, "件A", "on_spot", (True, True, "satisfied"), close=True)
        b = _handled(org, "件B", "coordinated", (False, True, "basic"), close=True)
        c = _handled(org, "件C", "on_spot", (True, False, "unsatisfied"))
        d = in_progress(org, subject="件D")
        e = in_progress(org, subject="件E")
        f = register(org, subject="件F", phone="13900000009")
        actions.merge(f, actor=org.dispatcher, parent=e)
    with frozen(at(2025, 4, 30, 9, 0)):
        actions.resolve(d, actor=org.s1_handler, outcome_kind="coordinated", outcome="已经协调办理")
    c.refresh_from_db()
    assert c.status == Status.IN_PROGRESS and c.reopen_count == 1  # the loop reopened it
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


HAND = {
    "registered": 5,
    "handled": 3,
    "unhandled": 2,
    "on_time": 2,
    "late": 1,
    "closed": 2,
    "completion_rate": 60.0,
    "on_time_rate": 66.67,
    "rectification_rate": 40.0,
}
OUTCOMES = {"on_spot": 1, "coordinated": 2, "long_term": 0}
RATES = {
    "response_rate": 66.67,
    "solve_rate": 66.67,
    "satisfaction_rate": 63.33,
    "composite": 65.33,
}


def test_every_page_and_api_shows_the_hand_computed_figures(client, org, march):
    client.force_login(org.district_leader)
    for query in ("", f"&unit={org.street1.pk}"):
        data = client.get(f"/api/v1/evaluation/dashboard/?period=2025-03{query}").json()
        assert data["kpi"]["total"] == 6
        c = data["completion"]
        assert {k: c[k] for k in HAND} == HAND
        assert {o["key"]: o["count"] for o in c["outcomes"]} == OUTCOMES
        assert {k: data["figures"][k] for k in RATES} == RATES
        assert (data["figures"]["valid"], data["figures"]["response_yes"]) == (3, 2)

    ranking = client.get("/api/v1/evaluation/rankings/?period=2025-03").json()
    row = next(r for r in ranking["groups"]["street"]["rows"] if r["unit"] == org.street1.pk)
    assert (row["registered"], row["handled"], row["on_time"], row["closed"]) == (5, 3, 2, 2)
    assert (row["completion_rate"], row["on_time_rate"], row["rectification_rate"]) == (
        "60.00",
        "66.67",
        "40.00",
    )
    assert row["outcomes"] == OUTCOMES
    assert (row["response_rate"], row["solve_rate"], row["satisfaction_rate"]) == (
        "66.67",
        "66.67",
        "63.33",
    )
    assert row["composite"] == "65.33"

    html = client.get("/evaluation/?period=2025-03").content.decode()
    for shown in ("60.00%", "3/5", "66.67%", "2/3", "40.00%", "2/5", "63.33%", "65.33"):
        assert shown in html, shown
    html = client.get("/evaluation/rankings/?period=2025-03").content.decode()
    for shown in ("60.00%", "66.67%", "40.00%", "65.33"):
        assert shown in html, shown

    def listed(query):
        r = client.get(f"/evaluation/appeals/?period=2025-03&{query}")
        return sorted(a.subject for a in r.context["page"].object_list)

    assert listed("dim=handled") == ["件A", "件B", "件D"]
    assert listed("dim=on_time") == ["件A", "件B"]
    assert listed("dim=late") == ["件D"]
    assert listed("dim=closed") == ["件A", "件B"]
    assert listed("dim=unhandled") == ["件C", "件E"]
    assert listed("dim=outcome&key=on_spot") == ["件A"]
    assert listed("dim=outcome&key=coordinated") == ["件B", "件D"]
    r = client.get(f"/api/v1/evaluation/rates/?period=2025-03&unit={org.street1.pk}")
    rates_row = r.json()["results"][0]
    assert (rates_row["valid"], rates_row["composite"]) == (3, "65.33")


def test_check_aggregates_recounts_the_month_from_the_events(org, march):
    aggregates.rebuild()
    out = io.StringIO()
    call_command("check-aggregates", stdout=out)
    assert "OK: aggregates and completion figures equal the recount" in out.getvalue()
    recount = figures.recount_completion(at(2025, 3, 1).date(), at(2025, 4, 1).date())
    assert {k: float(recount[0][k] or 0) for k in HAND} == HAND
    assert recount[org.street1.pk]["handled"] == 3

    # A row changed behind the event log's back (no close event) is reported.
    Appeal.objects.filter(pk=march["E"].pk).update(status=Status.CLOSED)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("check-aggregates", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "2025-03 全区 已销号: 发布 3，按事件重算 2" in err.getvalue()
    assert "2025-03 东街道 已销号: 发布 3，按事件重算 2" in err.getvalue()


def test_public_exam_shows_the_hand_computed_figures_without_login(client, org, march):
    """公开阅卷: the month's figures, each with its definition and its numerator/denominator,
    and the published ranking with the completion figures frozen in it; no personal data."""
    from minhu.evaluation import actions as ev_actions
    from minhu.evaluation.periods import Period

    ev_actions.publish_ranking(actor=org.district_leader, period=Period("2025-03"))
    r = client.get("/evaluation/public/")
    assert r.status_code == 302 and r["Location"] == f"/evaluation/public/{org.district.pk}/"
    data = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/?period=2025-03").json()
    shown = {f["key"]: (f["value"], f["numerator"], f["denominator"]) for f in data["rates"]}
    assert shown == {
        "response_rate": ("66.67", 2, 3),
        "solve_rate": ("66.67", 2, 3),
        "satisfaction_rate": ("63.33", "1 + 1 × 0.9", 3),
        "composite": ("65.33", None, None),
    }
    done = {f["key"]: (f["value"], f["numerator"], f["denominator"]) for f in data["completion"]}
    assert done == {
        "completion_rate": ("60.00", 3, 5),
        "on_time_rate": ("66.67", 2, 3),
        "rectification_rate": ("40.00", 2, 5),
    }
    assert {o["key"]: o["count"] for o in data["outcomes"]} == OUTCOMES
    assert data["volume"]["registered"] == 6
    assert all(f["definition"]["numerator"] for f in data["rates"] + data["completion"])
    street = next(g for g in data["rankings"] if g["group"] == "street")
    row = next(r for r in street["rows"] if r["unit_name"] == org.street1.name)
    assert (row["rank"], row["composite"], row["completion_rate"], row["on_time_rate"]) == (
        1,
        "65.33",
        "60.00",
        "66.67",
    )

    html = client.get(f"/evaluation/public/{org.district.pk}/?period=2025-03").content.decode()
    for text in ("63.33%", "（2 / 3）", "60.00%", "（3 / 5）", "40.00%", "65.33", "满意率 = "):
        assert text in html, text
    for private in ("张三", "13812345678", "件A", org.s1_handler.username):
        assert private not in html and private not in str(data), private

    # The frozen ranking keeps its completion figures when the items change later.
    actions.resolve(
        march["E"], actor=org.s1_handler, outcome_kind="on_spot", outcome="已经办理完毕"
    )
    url = f"/api/v1/evaluation/public/exam/{org.district.pk}/?period=2025-03"

    def handled():
        got = client.get(url).json()
        return next(f for f in got["completion"] if f["key"] == "completion_rate")["numerator"]

    assert handled() == 3  # served from the cache for MINHU_PUBLIC_CACHE_SECONDS
    cache.clear()
    assert handled() == 4  # the district's figure is live
    live = client.get(url)
    street = next(g for g in live.json()["rankings"] if g["group"] == "street")
    row = next(r for r in street["rows"] if r["unit_name"] == org.street1.name)
    assert row["completion_rate"] == "60.00"
