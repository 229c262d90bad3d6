"""约谈 promises: the promise recorded at a talk is published on the 阅卷 page and becomes the
unit's work item, due at the end of the promised day; kept on time, kept late or missed, it
shows so on the public page, and a missed promise is overdue like any item (deadline sweep,
overdue count)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from minhu.appeals import actions as loop
from minhu.appeals.models import Appeal, EventKind, Status
from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.deadlines.models import DeadlineMiss, Step
from minhu.deadlines.sweep import sweep_deadlines
from minhu.evaluation import actions, figures, promises
from minhu.evaluation.models import Interview, InterviewStatus
from minhu.evaluation.periods import Period

from .helpers import at, frozen

pytestmark = pytest.mark.django_db
MARCH = Period("2025-03")
HELD = at(2025, 4, 3, 10, 0)  # a Thursday
DUE = dt.date(2025, 4, 18)


def _talk(org, unit=None, **kw) -> Interview:
    i = actions.flag_for_interview(
        actor=org.district_leader, unit=unit or org.street1, period=MARCH, reason="综合得分末位"
    )
    with frozen(HELD + dt.timedelta(hours=2)):
        return actions.record_interview(
            i,
            actor=org.district_leader,
            held_at=HELD,
            interviewer="区长",
            attendees="东街道主任 王某",
            record="指出回访满意率偏低，要求逐件复盘、举一反三。",
            promise=kw.pop("promise", "两周内逐件回访不满意诉求"),
            promise_due=kw.pop("promise_due", DUE),
        )


def test_the_promise_becomes_the_units_work_item_due_on_the_promised_day(org):
    i = _talk(org)
    item = Appeal.objects.get(pk=i.item_id)
    assert (item.kind, item.channel, item.lead_unit_id) == (
        "interview_promise",
        "interview",
        org.street1.pk,
    )
    assert (item.source_type, item.source_id) == ("evaluation.Interview", str(i.pk))
    assert item.status == Status.DISPATCHED
    assert item.resolve_due_at == promises.due_end(DUE)
    assert "两周内逐件回访不满意诉求" in item.detail and "2025-04-18" in item.detail
    assert item.events.filter(kind=EventKind.DISPATCH).exists()
    # Not a resident's appeal: outside the unit's 办结率 and the follow-up rates.
    assert figures.completion(dt.date(2025, 4, 1), dt.date(2025, 5, 1))["registered"] == 0


def test_a_promise_needs_its_date_and_a_person_records_it(org):
    i = actions.flag_for_interview(
        actor=org.district_leader, unit=org.street1, period=MARCH, reason="综合得分末位"
    )
    args = {
        "held_at": HELD,
        "interviewer": "区长",
        "attendees": "东街道主任",
        "record": "指出回访满意率偏低，要求逐件复盘。",
        "promise": "两周内逐件回访不满意诉求",
    }
    with pytest.raises(InvalidInput) as e:
        actions.record_interview(i, actor=org.district_leader, promise_due=None, **args)
    assert (e.value.code, e.value.details["field"]) == ("required", "promise_due")
    with pytest.raises(PermissionDenied):
        actions.record_interview(i, actor=None, promise_due=DUE, **args)
    i.refresh_from_db()
    assert i.status == InterviewStatus.FLAGGED and i.item_id is None
    assert not Appeal.objects.filter(kind="interview_promise").exists()


def _public(client, org):
    cache.clear()
    data = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/?period=2025-03").json()
    return data["promises"], data["promise_summary"]


def test_kept_late_and_missed_promises_on_the_public_page(client, org):
    kept = _talk(org)
    late = _talk(org, unit=org.dept1, promise="一个月内完成占道经营整治", promise_due=DUE)
    _talk(org, unit=org.street2, promise="月底前完成路灯排查", promise_due=DUE)
    handlers = {kept: org.s1_handler, late: org.d1_handler}
    with frozen(at(2025, 4, 10, 9, 0)):
        for i, h in handlers.items():
            loop.claim(i.item_id, actor=h)
        loop.resolve(
            kept.item_id,
            actor=org.s1_handler,
            outcome_kind="coordinated",
            outcome="已逐件回访不满意诉求",
        )
    with frozen(at(2025, 4, 22, 9, 0)):
        loop.resolve(
            late.item_id,
            actor=org.d1_handler,
            outcome_kind="coordinated",
            outcome="已完成占道经营整治",
        )
        rows, summary = _public(client, org)
    states = {r["unit_name"]: (r["state"], r["kept_on"]) for r in rows}
    assert states == {
        org.street1.name: ("kept", "2025-04-10"),
        org.dept1.name: ("kept_late", "2025-04-22"),
        org.street2.name: ("missed", None),
    }
    assert (summary["total"], summary["kept"], summary["kept_late"], summary["missed"]) == (
        3,
        1,
        1,
        1,
    )
    assert all("王某" not in str(r) and "区长" not in str(r) for r in rows)  # no persons
    html = client.get(f"/evaluation/public/{org.district.pk}/?period=2025-03").content.decode()
    assert "月底前完成路灯排查" in html and "逾期未兑现" in html and "按期兑现" in html
    # The resolve events agree with the page.
    on_time = {
        e.appeal_id: e.data["on_time"]
        for e in Appeal.objects.get(pk=kept.item_id).events.filter(kind=EventKind.RESOLVE)
    } | {
        e.appeal_id: e.data["on_time"]
        for e in Appeal.objects.get(pk=late.item_id).events.filter(kind=EventKind.RESOLVE)
    }
    assert on_time == {kept.item_id: True, late.item_id: False}


def test_a_missed_promise_is_overdue_like_any_item(client, org):
    i = _talk(org, unit=org.street2)
    with frozen(at(2025, 4, 7, 9, 0)):
        loop.claim(i.item_id, actor=org.s2_handler)
    sweep_deadlines(now=at(2025, 4, 18, 23, 0))
    assert not DeadlineMiss.objects.filter(appeal_id=i.item_id, step=Step.RESOLVE).exists()
    sweep_deadlines(now=at(2025, 4, 19, 0, 30))
    miss = DeadlineMiss.objects.get(appeal_id=i.item_id, step=Step.RESOLVE)
    assert (miss.unit_id, miss.due_at) == (org.street2.pk, promises.due_end(DUE))
    with frozen(at(2025, 4, 19, 9, 0)):
        item = Appeal.objects.get(pk=i.item_id)
        assert promises.state_of(item) == "missed"
        client.force_login(org.district_leader)
        page = client.get(f"/evaluation/interviews/{i.pk}/").content.decode()
        assert 'data-promise-state="missed"' in page


def test_a_district_leader_registers_promises_only(org):
    """The promise kind lets a district leader register it through its own channel; nothing
    else changes for them (no resident appeals, no other kind through that channel)."""
    from minhu.appeals import guards
    from minhu.appeals.kinds import RESIDENT_APPEAL, get_kind

    promise = get_kind(promises.KIND)
    guards.check_register(org.district_leader, promises.CHANNEL, kind=promise)
    for channel, kind in (
        ("hotline", promise),
        ("hotline", get_kind(RESIDENT_APPEAL)),
        (promises.CHANNEL, get_kind(RESIDENT_APPEAL)),
        (promises.CHANNEL, None),
    ):
        with pytest.raises(PermissionDenied):
            guards.check_register(org.district_leader, channel, kind=kind)
    with pytest.raises(PermissionDenied):
        guards.check_register(None, promises.CHANNEL, kind=promise)
