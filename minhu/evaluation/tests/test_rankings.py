from decimal import Decimal

import pytest

from minhu.core.errors import Conflict, IllegalTransition, PermissionDenied
from minhu.evaluation import actions, rankings
from minhu.evaluation.config import active_config
from minhu.evaluation.models import (
    EvaluationConfig,
    EvaluationEvent,
    Interview,
    RankingGroup,
    RankingSnapshot,
)
from minhu.evaluation.periods import Period, current_period

from .helpers import TEN, at, follow_up

pytestmark = pytest.mark.django_db
MARCH = Period("2025-03")


def seed_march(org):
    t = at(2025, 3, 10, 10, 0)
    for contacted, solved, sat in TEN:  # street1: 73.80
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=t)
    for _ in range(3):  # street2: 100
        follow_up(org, org.street2, when=t)
    # dept1 and dept2 tie on 100 with volumes 2 and 1; dept3 has one bad answer.
    for _ in range(2):
        follow_up(org, org.dept1, when=t)
    follow_up(org, org.dept2, when=t)
    follow_up(org, org.dept3, contacted=False, solved=False, satisfaction="unsatisfied", when=t)


def test_ranking_orders_by_composite_then_volume(org):
    seed_march(org)
    streets = rankings.compute(MARCH, RankingGroup.STREET, active_config())
    assert [(r.unit_id, r.rank, r.figures.composite) for r in streets] == [
        (org.street2.pk, 1, Decimal("100.00")),
        (org.street1.pk, 2, Decimal("73.80")),
    ]
    depts = rankings.compute(MARCH, RankingGroup.DEPARTMENT, active_config())
    assert [(r.unit_id, r.rank) for r in depts] == [
        (org.dept1.pk, 1),
        (org.dept2.pk, 2),
        (org.dept3.pk, 3),
    ]
    assert depts[2].figures.composite == Decimal("0.00")


def test_equal_composite_and_volume_share_a_rank_and_small_units_are_unranked(org):
    t = at(2025, 3, 10, 10, 0)
    follow_up(org, org.dept1, when=t)
    follow_up(org, org.dept2, when=t)
    rows = rankings.compute(MARCH, RankingGroup.DEPARTMENT, active_config())
    assert [r.rank for r in rows] == [1, 1, None]  # dept3 has no follow-up
    cfg = EvaluationConfig(min_valid_for_ranking=2)
    assert [r.rank for r in rankings.compute(MARCH, RankingGroup.DEPARTMENT, cfg)] == [
        None,
        None,
        None,
    ]


def test_change_against_last_period_and_last_year(org):
    seed_march(org)
    # February: street1 was first, street2 second.
    follow_up(org, org.street1, when=at(2025, 2, 10, 10, 0))
    follow_up(org, org.street2, satisfaction="basic", when=at(2025, 2, 10, 10, 0))
    # March 2024: street1 scored 50.
    follow_up(
        org,
        org.street1,
        contacted=True,
        solved=False,
        satisfaction="basic",
        when=at(2024, 3, 10, 10, 0),
    )
    rows = {r.unit_id: r for r in rankings.ranking(MARCH, RankingGroup.STREET, active_config())}
    s1, s2 = rows[org.street1.pk], rows[org.street2.pk]
    assert (s1.prev_rank, s1.rank, s1.rank_change) == (1, 2, -1)
    assert (s2.prev_rank, s2.rank, s2.rank_change) == (2, 1, 1)
    assert s1.composite_change == Decimal("73.80") - Decimal("100.00")
    assert s1.yoy_composite == Decimal("46.00")  # 0.1*100 + 0.5*0 + 0.4*90
    assert s1.yoy_change == Decimal("27.80")
    assert s2.yoy_change is None


def test_publish_freezes_and_flags_interviews(org):
    seed_march(org)
    snaps = actions.publish_ranking(actor=org.district_leader, period=MARCH)
    assert {s.group for s in snaps} == {"street", "department"}
    street = RankingSnapshot.objects.get(period="2025-03", group="street")
    rows = list(street.rows.order_by("rank"))
    assert [(r.unit_id, r.rank, r.composite) for r in rows] == [
        (org.street2.pk, 1, Decimal("100.00")),
        (org.street1.pk, 2, Decimal("73.80")),
    ]
    assert street.config["weight_solved"] == "0.5"
    assert EvaluationEvent.objects.filter(kind="ranking_published").count() == 2
    # 约谈: street1 is under 80 and last; dept3 scored 0 and is last.
    flagged = set(Interview.objects.values_list("unit_id", flat=True))
    assert flagged == {org.street1.pk, org.dept3.pk}
    with pytest.raises(Conflict):
        actions.publish_ranking(actor=org.district_leader, period=MARCH)
    with pytest.raises(PermissionDenied):
        actions.publish_ranking(actor=org.s1_leader, period=MARCH.previous)
    with pytest.raises(IllegalTransition):
        actions.publish_ranking(actor=org.district_leader, period=current_period())


def test_revision_supersedes_the_earlier_version(org):
    seed_march(org)
    actions.publish_ranking(actor=org.district_leader, period=MARCH, groups=["street"])
    v2 = actions.publish_ranking(
        actor=org.admin, period=MARCH, groups=["street"], revise=True, note="补录回访后修订"
    )[0]
    assert v2.version == 2 and rankings.published(MARCH, "street") == v2
    assert RankingSnapshot.objects.get(period="2025-03", group="street", version=1).superseded


def test_recomputation_explains_a_late_follow_up(org):
    """Attribution by appeal time: a follow-up recorded after the freeze for a March appeal
    changes March's figures; the snapshot page lists it."""
    cfg = actions.save_config(actor=org.admin, attribution="appeal")
    t = at(2025, 3, 10, 10, 0)
    follow_up(org, org.street1, when=t)
    follow_up(org, org.street2, when=t)
    actions.publish_ranking(actor=org.district_leader, period=MARCH, groups=["street"])
    snap = rankings.published(MARCH, "street")
    assert rankings.explain_difference(snap, cfg).changed is False
    # An appeal registered on 28 March, followed up (badly) after the freeze.
    late = follow_up(
        org,
        org.street1,
        solved=False,
        satisfaction="unsatisfied",
        appeal_when=at(2025, 3, 28, 9, 0),
        when=None,
    )
    diff = rankings.explain_difference(snap, cfg)
    assert diff.changed and diff.late_total == 1
    s1 = next(u for u in diff.units if u.unit_id == org.street1.pk)
    assert [f.pk for f in s1.late] == [late.pk]
    assert (s1.frozen.valid, s1.live.valid) == (1, 2)
    assert (s1.frozen_rank, s1.live_rank) == (1, 2)
    assert s1.removed == 0
    assert any("冻结后新增 1 条" in line for line in diff.summary())
    # The frozen rows themselves never change.
    assert snap.rows.get(unit=org.street1).valid == 1


def test_recomputation_lists_rule_changes_separately(org):
    follow_up(org, org.street1, satisfaction="basic", when=at(2025, 3, 10, 10, 0))
    actions.publish_ranking(actor=org.district_leader, period=MARCH, groups=["street"])
    snap = rankings.published(MARCH, "street")
    cfg = actions.save_config(actor=org.admin, basic_weight=Decimal("0.8"))
    diff = rankings.explain_difference(snap, cfg)
    assert not any(u.changed for u in diff.units)  # same data under the frozen rules
    assert [c[0] for c in diff.config_changes] == ["basic_weight"]
    assert diff.current_rows[0].figures.satisfaction_rate == Decimal("80.00")


def test_config_requires_weights_summing_to_one_and_one_active_row(org):
    from minhu.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        actions.save_config(actor=org.admin, weight_response=Decimal("0.3"))
    a = actions.save_config(actor=org.admin, name="甲")
    b = actions.save_config(actor=org.admin, name="乙")
    a.refresh_from_db()
    assert not a.active and b.active and active_config().pk == b.pk
    with pytest.raises(PermissionDenied):
        actions.save_config(actor=org.dispatcher, name="丙")


@pytest.fixture
def department_kind():
    """A kind whose items are judged in the departments' ranking only (WorkKind.ranking_group)."""
    from minhu.appeals import kinds
    from minhu.deadlines.models import WORK_KINDS

    kind = kinds.register_kind(
        kinds.WorkKind(code="test_ranked_apart", label="部门件", ranking_group="department")
    )
    yield kind
    kinds._KINDS.pop(kind.code)
    WORK_KINDS.pop(kind.code)


def test_a_kind_is_ranked_in_its_declared_group_only(org, department_kind):
    from minhu.appeals.models import Appeal

    t = at(2025, 3, 10, 10, 0)
    for _ in range(3):
        follow_up(org, org.street2, when=t)
    apart = [
        follow_up(
            org, org.street2, contacted=False, solved=False, satisfaction="unsatisfied", when=t
        )
        for _ in range(2)
    ]
    config = active_config()
    before = {r.unit_id: r for r in rankings.ranking(MARCH, RankingGroup.STREET, config)}
    assert before[org.street2.pk].figures.valid == 5
    # completion is by place: the items lie in street1's grid
    assert before[org.street1.pk].completion["registered"] == 5
    # The two bad answers belong to items of a kind ranked among the departments.
    Appeal.objects.filter(pk__in=[f.appeal_id for f in apart]).update(kind=department_kind.code)
    after = {r.unit_id: r for r in rankings.ranking(MARCH, RankingGroup.STREET, config)}
    assert after[org.street2.pk].figures.valid == 3
    assert after[org.street2.pk].figures.composite == Decimal("100.00")
    assert after[org.street1.pk].completion["registered"] == 3
    # The district-wide figures still count them (the kind counts in the rates).
    from minhu.evaluation import rates

    total = rates.figures_total(MARCH.first_day, MARCH.end_day, config)
    assert total.valid == 5
