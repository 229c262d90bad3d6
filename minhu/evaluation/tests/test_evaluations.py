import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minhu.appeals.models import AppealEvent, CollectionPoint
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from minhu.evaluation import actions, evaluations
from minhu.evaluation.config import active_config
from minhu.evaluation.models import (
    HarmfulConduct,
    NegativeIndicator,
    Nomination,
    RedBlackRule,
    Supervision,
)
from minhu.evaluation.periods import Period, current_period

from .helpers import at, follow_up, replied

pytestmark = pytest.mark.django_db


def test_seventeen_harmful_conducts_are_seeded_and_configurable():
    assert HarmfulConduct.objects.filter(active=True).count() == 17
    assert NegativeIndicator.objects.count() >= 5
    assert RedBlackRule.objects.filter(active=True).exists()


def test_department_review_dual_dimension_and_interview_flag(org):
    period = current_period()
    shirk, late = NegativeIndicator.objects.all()[:2]
    actions.submit_department_review(
        actor=org.s1_leader,
        department=org.dept1,
        period=period,
        satisfaction="unsatisfied",
        indicators=[shirk, late],
        comment="多次推诿",
    )
    actions.submit_department_review(
        actor=org.s2_handler,
        department=org.dept1,
        period=period,
        satisfaction="basic",
        indicators=[shirk],
    )
    actions.submit_department_review(
        actor=org.s2_handler, department=org.dept2, period=period, satisfaction="satisfied"
    )
    with pytest.raises(Conflict):
        actions.submit_department_review(
            actor=org.s1_handler, department=org.dept1, period=period, satisfaction="satisfied"
        )
    with pytest.raises(PermissionDenied):  # a department cannot rate departments
        actions.submit_department_review(
            actor=org.d1_handler, department=org.dept2, period=period, satisfaction="satisfied"
        )
    with pytest.raises(InvalidInput):
        actions.submit_department_review(
            actor=org.s1_leader, department=org.street2, period=period, satisfaction="satisfied"
        )
    scores = {s.unit_id: s for s in evaluations.department_reviews(period, active_config())}
    d1 = scores[org.dept1.pk]
    assert (d1.total, d1.satisfied, d1.basic, d1.unsatisfied) == (2, 0, 1, 1)
    assert d1.rate == Decimal("45.00") and d1.negatives == 3
    assert d1.negative_items == {shirk.name: 2, late.name: 1}
    assert scores[org.dept2.pk].rate == Decimal("100.00")
    flagged = actions.flag_evaluations(actor=org.district_leader, period=period)
    assert [i.unit_id for i in flagged] == [org.dept1.pk]
    assert "负面清单问题3项" in flagged[0].reason
    assert actions.flag_evaluations(actor=org.district_leader, period=period) == []


def test_enterprise_and_service_ratings(org):
    from minhu.residents.models import EnterpriseRating, ServiceRating

    period = current_period()
    EnterpriseRating.objects.create(
        department=org.dept1,
        enterprise_name="甲公司",
        satisfaction="satisfied",
        indicators={"efficiency": "basic", "attitude": "satisfied"},
        verified="sms",
    )
    EnterpriseRating.objects.create(
        department=org.dept1, enterprise_name="乙公司", satisfaction="unsatisfied", verified="sms"
    )
    hall = CollectionPoint.objects.create(
        name="政务服务大厅", code="hall", unit=org.street1, is_service_hall=True
    )
    ServiceRating.objects.create(point=hall, satisfaction="satisfied", verified="sms")
    ServiceRating.objects.create(point=hall, satisfaction="basic", verified="sms")
    ent = evaluations.enterprise_ratings(period, active_config())
    assert ent[0].unit_id == org.dept1.pk and ent[0].rate == Decimal("50.00")
    assert ent[0].details["办事效率"]["rate"] == Decimal("90.00")
    svc = evaluations.service_ratings(period, active_config())
    assert svc[0].unit_id == org.street1.pk and svc[0].rate == Decimal("95.00")
    flagged = actions.flag_evaluations(actor=org.district_leader, period=period)
    assert {(i.unit_id, i.source) for i in flagged} == {(org.dept1.pk, "enterprise")}


def test_unverified_ratings_are_counted_but_move_no_rate(org):
    """Ten forged "enterprises" rating a department 不满意 without verification neither change
    its rate nor put it (or a hall's unit) on the 约谈 list; leaders see how many there are."""
    from minhu.residents.models import EnterpriseRating, ServiceRating

    period = current_period()
    EnterpriseRating.objects.create(
        department=org.dept1, enterprise_name="真公司", satisfaction="satisfied", verified="appeal"
    )
    for i in range(10):
        EnterpriseRating.objects.create(
            department=org.dept1,
            enterprise_name=f"假公司{i}",
            satisfaction="unsatisfied",
            indicators={"efficiency": "unsatisfied"},
        )
    EnterpriseRating.objects.create(
        department=org.dept2, enterprise_name="假公司", satisfaction="unsatisfied"
    )
    hall = CollectionPoint.objects.create(
        name="政务服务大厅", code="hall", unit=org.street1, is_service_hall=True
    )
    ServiceRating.objects.create(point=hall, satisfaction="satisfied", verified="sms")
    for _ in range(5):
        ServiceRating.objects.create(point=hall, satisfaction="unsatisfied")
    ent = {s.unit_id: s for s in evaluations.enterprise_ratings(period, active_config())}
    assert (ent[org.dept1.pk].total, ent[org.dept1.pk].unverified) == (1, 10)
    assert ent[org.dept1.pk].rate == Decimal("100.00")
    assert ent[org.dept1.pk].details == {}  # the forged indicators are not counted either
    assert (ent[org.dept2.pk].total, ent[org.dept2.pk].unverified, ent[org.dept2.pk].rate) == (
        0,
        1,
        None,
    )
    svc = evaluations.service_ratings(period, active_config())
    assert (svc[0].total, svc[0].unverified, svc[0].rate) == (1, 5, Decimal("100.00"))
    assert svc[0].details["政务服务大厅"]["unverified"] == 5
    assert actions.flag_evaluations(actor=org.district_leader, period=period) == []


def test_interview_record_keeps_the_talk_and_the_promise(org):
    period = Period("2025-03")
    i = actions.flag_for_interview(
        actor=org.district_leader, unit=org.street1, period=period, reason="综合得分连续两月末位"
    )
    with pytest.raises(PermissionDenied):
        actions.record_interview(
            i,
            actor=org.s1_leader,
            held_at=timezone.now(),
            interviewer="x",
            attendees="y",
            record="z" * 10,
            promise="整改承诺",
        )
    with pytest.raises(InvalidInput):
        actions.record_interview(
            i,
            actor=org.district_leader,
            held_at=timezone.now(),
            interviewer="区长",
            attendees="东街道主任",
            record="太短",
            promise="三天内整改",
        )
    actions.record_interview(
        i,
        actor=org.district_leader,
        held_at=timezone.now() - dt.timedelta(hours=1),
        interviewer="区长",
        attendees="东街道主任 王某",
        record="指出回访满意率偏低，要求逐件复盘。",
        promise="一个月内满意率提升到90%以上",
        promise_due=timezone.localdate() + dt.timedelta(days=30),
    )
    i.refresh_from_db()
    assert i.status == "held" and i.promise.startswith("一个月内")
    with pytest.raises(IllegalTransition):
        actions.waive_interview(i, actor=org.district_leader, reason="已整改完毕")


def test_red_black_rules_nominations_and_approval(org):
    t = at(2025, 3, 10, 10, 0)
    follow_up(org, org.street1, when=t)
    follow_up(org, org.street2, solved=False, satisfaction="unsatisfied", when=t)
    period = Period("2025-03")
    actions.publish_ranking(actor=org.district_leader, period=period, groups=["street"])
    made = actions.propose_from_rules(actor=org.dispatcher, period=period)
    by_kind = {(n.list_kind, n.unit_id) for n in made}
    assert ("red", org.street1.pk) in by_kind and ("black", org.street2.pk) in by_kind
    black = next(n for n in made if n.list_kind == "black")
    assert black.conduct is not None and "排名第2名" in black.reason
    assert actions.propose_from_rules(actor=org.dispatcher, period=period) == []  # idempotent
    with pytest.raises(PermissionDenied):  # the centre proposes, leaders decide
        actions.decide_nomination(black, actor=org.dispatcher, approve=True)
    with pytest.raises(InvalidInput):  # a rejection needs a reason
        actions.decide_nomination(black, actor=org.district_leader, approve=False)
    actions.decide_nomination(black, actor=org.district_leader, approve=True)
    manual = actions.nominate(
        actor=org.district_leader,
        list_kind="black",
        period=period,
        subject_name="某检测中介",
        reason="违规指定中介服务，企业投诉3次",
        conduct=HarmfulConduct.objects.get(code="designated-agency"),
    )
    with pytest.raises(PermissionDenied):
        actions.decide_nomination(manual, actor=org.district_leader, approve=True)
    actions.decide_nomination(manual, actor=org.admin, approve=False, note="证据不足")
    with pytest.raises(InvalidInput):
        actions.nominate(
            actor=org.dispatcher,
            list_kind="black",
            period=period,
            subject_name="某公司",
            reason="没有选择行为类型",
        )
    assert set(Nomination.objects.filter(status="approved").values_list("pk", flat=True)) == {
        black.pk
    }


def test_a_unit_is_on_one_list_once_per_period(org):
    """The top-ranked unit with many overdue items matched the red and a black rule, and the
    bottom one two black rules: it was on both lists, or twice on the black list."""
    from minhu.deadlines.models import DeadlineMiss, Step
    from minhu.evaluation.models import RedBlackRule

    t = at(2025, 3, 10, 10, 0)
    top = follow_up(org, org.street1, when=t)
    bottom = follow_up(org, org.street2, solved=False, satisfaction="unsatisfied", when=t)
    RedBlackRule.objects.filter(rule_type="overdue_at_least").update(threshold=1)
    for fu, unit in ((top, org.street1), (bottom, org.street2)):
        DeadlineMiss.objects.create(appeal=fu.appeal, step=Step.RESOLVE, unit=unit, due_at=t)
    period = Period("2025-03")
    actions.publish_ranking(actor=org.district_leader, period=period, groups=["street"])
    made = actions.propose_from_rules(actor=org.dispatcher, period=period)
    assert sorted((n.unit_id, n.list_kind) for n in made) == [
        (org.street1.pk, "black"),
        (org.street2.pk, "black"),
    ]
    first = next(n for n in made if n.unit_id == org.street1.pk)
    assert "超时" in first.reason and "同时符合红榜规则" in first.reason
    assert first.evidence["red_rules_matched"]
    second = next(n for n in made if n.unit_id == org.street2.pk)
    assert "排名第2名" in second.reason and "超时1件" in second.reason  # both black rules, once
    assert len(second.evidence["rules"]) == 2
    assert actions.propose_from_rules(actor=org.dispatcher, period=period) == []
    # By hand: neither the other list nor the same list again.
    with pytest.raises(Conflict) as exc:
        actions.nominate(
            actor=org.dispatcher,
            list_kind="red",
            period=period,
            unit=org.street1,
            reason="手工提名红榜",
        )
    assert exc.value.code == "both_lists"
    with pytest.raises(Conflict) as exc:
        actions.nominate(
            actor=org.dispatcher,
            list_kind="black",
            period=period,
            unit=org.street2,
            reason="再次提名黑榜",
            conduct=second.conduct,
        )
    assert exc.value.code == "duplicate_nomination"
    # A rejected nomination frees the unit for the other list; another period is separate.
    actions.decide_nomination(first, actor=org.district_leader, approve=False, note="已整改")
    actions.nominate(
        actor=org.dispatcher,
        list_kind="red",
        period=period,
        unit=org.street1,
        reason="手工提名红榜",
    )
    actions.nominate(
        actor=org.dispatcher,
        list_kind="red",
        period=Period("2025-04"),
        unit=org.street2,
        reason="下期表现突出",
    )


def test_public_red_black_page_needs_no_login(client, org):
    n = actions.nominate(
        actor=org.dispatcher,
        list_kind="red",
        period=Period("2025-03"),
        unit=org.street1,
        reason="接诉即办满意率全区第一",
    )
    hidden = actions.nominate(
        actor=org.dispatcher,
        list_kind="red",
        period=Period("2025-03"),
        unit=org.street2,
        reason="尚未审核的提名",
    )
    actions.decide_nomination(n, actor=org.district_leader, approve=True)
    r = client.get("/evaluation/public/redblack/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "接诉即办满意率全区第一" in body and hidden.reason not in body
    assert "违规指定中介服务" in body  # the configurable list of 17
    r = client.get("/api/v1/evaluation/public/redblack/")
    assert r.status_code == 200 and [x["subject_name"] for x in r.json()["results"]] == ["东街道"]


def test_supervision_of_appeals_and_units(org):
    a = replied(org, org.street1)
    from minhu.appeals import actions as appeal_actions

    appeal_actions.reopen(a, actor=org.dispatcher, reason="群众再次来电反映")
    with pytest.raises(PermissionDenied):
        actions.supervise_appeal(a, actor=org.s1_handler, reason="督办测试")
    from minhu.core.errors import NotFound

    s2_leader_scope_test = replied(org, org.street2, grid=org.grid2)
    with pytest.raises(NotFound):  # a street leader cannot reach another street's appeal
        actions.supervise_appeal(s2_leader_scope_test, actor=org.s1_leader, reason="越权督办")
    sup = actions.supervise_appeal(a, actor=org.district_leader, reason="群众反复反映，区领导督办")
    assert sup.unit_id == org.street1.pk and sup.due_at > timezone.now()
    ev = AppealEvent.objects.filter(appeal=a, kind="supervise").get()
    assert ev.data["supervision"] == sup.pk and ev.data["action"] == "open"
    with pytest.raises(Conflict):
        actions.supervise_appeal(a, actor=org.district_leader, reason="重复督办")
    actions.close_supervision(sup, actor=org.district_leader, result="已现场核查解决")
    assert AppealEvent.objects.filter(appeal=a, kind="supervise").count() == 2
    u = actions.supervise_unit(org.dept1, actor=org.district_leader, reason="本月超时件数全区最多")
    assert u.appeal_id is None
    with pytest.raises(PermissionDenied):
        actions.supervise_unit(org.street1, actor=org.s1_leader, reason="不能督办本单位")


def test_long_overdue_appeals_are_supervised_automatically(org):
    from minhu.appeals import actions as appeal_actions

    long_ago = at(2025, 3, 3, 10, 0)
    from .helpers import frozen

    with frozen(long_ago):
        a = appeal_actions.register_appeal(
            actor=None,
            channel="h5",
            subject="噪音扰民",
            detail="夜间施工噪音很大影响休息",
            appellant_name="李四",
            appellant_phone="13912345678",
            grid=org.grid1,
        )
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    fresh = replied(org, org.street2)  # replied in time: not overdue
    result = actions.auto_supervise()
    assert result == {"opened": 1, "closed": 0}
    sup = Supervision.objects.get()
    assert sup.auto and sup.appeal_id == a.pk and sup.appeal_id != fresh.pk
    assert AppealEvent.objects.filter(appeal=a, kind="supervise", data__auto=True).exists()
    assert actions.auto_supervise() == {"opened": 0, "closed": 0}
