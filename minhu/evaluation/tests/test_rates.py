from decimal import Decimal

import pytest

from minhu.evaluation import aggregates, rates
from minhu.evaluation.config import active_config
from minhu.evaluation.models import EvaluationConfig
from minhu.evaluation.periods import Period, parse_period, period_for

from .helpers import TEN, at, follow_up, resident_rating

pytestmark = pytest.mark.django_db

MARCH = Period("2025-03")


def ten_for_street1(org, when=None):
    when = when or at(2025, 3, 10, 10, 0)
    for contacted, solved, sat in TEN:
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=when)


def test_ten_follow_ups_give_exact_rates(org):
    ten_for_street1(org)
    # Noise that must not count: an unreached call, and a follow-up in another month.
    follow_up(org, org.street1, reached=False, when=at(2025, 3, 11, 9, 0))
    follow_up(org, org.street1, satisfaction="unsatisfied", when=at(2025, 4, 2, 9, 0))
    f = rates.figures_for_units([org.street1], MARCH, active_config())[org.street1.pk]
    assert (f.valid, f.response_yes, f.response_base, f.solved) == (10, 8, 10, 7)
    assert (f.satisfied, f.basic, f.unsatisfied, f.unreached) == (5, 3, 2, 1)
    assert f.response_rate == Decimal("80.00")
    assert f.solve_rate == Decimal("70.00")
    assert f.satisfaction_rate == Decimal("77.00")  # (5 + 0.9*3) / 10
    assert f.composite == Decimal("73.80")  # 0.1*80 + 0.5*70 + 0.4*77


def test_weights_and_basic_factor_come_from_the_active_config(org):
    ten_for_street1(org)
    EvaluationConfig.objects.create(
        name="新规则",
        active=True,
        weight_response=Decimal("0.2"),
        weight_solved=Decimal("0.4"),
        weight_satisfaction=Decimal("0.4"),
        basic_weight=Decimal("0.5"),
    )
    f = rates.figures_for_units([org.street1], MARCH, active_config())[org.street1.pk]
    assert f.satisfaction_rate == Decimal("65.00")  # (5 + 0.5*3) / 10
    assert f.composite == Decimal("70.00")  # 0.2*80 + 0.4*70 + 0.4*65


def test_unreached_counts_when_configured(org):
    ten_for_street1(org)
    follow_up(org, org.street1, reached=False, when=at(2025, 3, 11, 9, 0))
    config = EvaluationConfig(unreached_is_valid=True)
    f = rates.figures_for_units([org.street1], MARCH, config)[org.street1.pk]
    assert f.valid == 11 and f.response_base == 11
    assert f.solve_rate == Decimal("63.64")  # 7/11


def test_resident_rating_without_contact_answer(org):
    """群众评价 says nothing about contact: excluded from the response base by default, counted
    as "not contacted" with unknown_contact=as_no."""
    follow_up(org, org.dept1, contacted=True, when=at(2025, 3, 5, 9, 0))
    resident_rating(org, org.dept1, satisfaction="basic", when=at(2025, 3, 6, 9, 0))
    f = rates.figures_for_units([org.dept1], MARCH, active_config())[org.dept1.pk]
    assert (f.valid, f.response_yes, f.response_base) == (2, 1, 1)
    assert f.response_rate == Decimal("100.00")
    assert f.satisfaction_rate == Decimal("95.00")
    g = rates.figures_for_units([org.dept1], MARCH, EvaluationConfig(unknown_contact="as_no"))
    assert g[org.dept1.pk].response_rate == Decimal("50.00")
    only_callbacks = EvaluationConfig(valid_sources=["callback", "visit"])
    h = rates.figures_for_units([org.dept1], MARCH, only_callbacks)[org.dept1.pk]
    assert h.valid == 1


def test_street_rolls_up_its_communities(org):
    follow_up(org, org.street1, when=at(2025, 3, 5, 9, 0))
    follow_up(org, org.community1, satisfaction="unsatisfied", solved=False, when=at(2025, 3, 5, 9))
    config = active_config()
    f = rates.figures_for_units([org.street1], MARCH, config)[org.street1.pk]
    assert f.valid == 2 and f.solve_rate == Decimal("50.00")
    g = rates.figures_for_units([org.street1], MARCH, EvaluationConfig(roll_up=False))
    assert g[org.street1.pk].valid == 1


@pytest.mark.parametrize(
    "metric,expected",
    [
        ("valid", 10),
        ("response_yes", 8),
        ("response_no", 2),
        ("response_base", 10),
        ("solved", 7),
        ("unsolved", 3),
        ("satisfied", 5),
        ("basic", 3),
        ("unsatisfied", 2),
        ("unreached", 1),
    ],
)
def test_every_figure_drills_down_to_its_follow_ups(org, metric, expected):
    ten_for_street1(org)
    follow_up(org, org.street1, reached=False, when=at(2025, 3, 11, 9, 0))
    follow_up(org, org.dept1, when=at(2025, 3, 11, 9, 0))  # another unit: not listed
    config = active_config()
    f = rates.figures_for_units([org.street1], MARCH, config)[org.street1.pk]
    qs = rates.drilldown(MARCH.first_day, MARCH.end_day, config, metric, org.street1)
    assert qs.count() == expected
    if hasattr(f, metric):
        assert getattr(f, metric) == expected


def test_aggregates_give_the_same_figures_as_raw_rows(org):
    ten_for_street1(org)
    resident_rating(org, org.dept1, satisfaction="basic", when=at(2025, 3, 6, 9, 0))
    config = active_config()
    units = [org.street1, org.dept1]
    live = rates.figures_for_units(units, MARCH, config)
    aggregates.rebuild()
    assert aggregates.covered_until() is not None
    agg = rates.figures_for_units(units, MARCH, config)
    assert agg == live
    assert aggregates.check().ok
    # Appeal-time attribution uses the other basis of the same table.
    cfg_a = EvaluationConfig(attribution="appeal")
    assert rates.figures_for_units(units, MARCH, cfg_a)[org.street1.pk].valid == 10


def test_period_with_cut_off_day():
    p = Period("2025-03", 19)
    assert (p.first_day.isoformat(), p.last_day.isoformat()) == ("2025-02-19", "2025-03-18")
    assert period_for(at(2025, 3, 18, 23, 59), 19).key == "2025-03"
    assert period_for(at(2025, 3, 19, 0, 0), 19).key == "2025-04"
    assert period_for(at(2024, 12, 25, 8, 0), 19).key == "2025-01"
    assert Period("2025-01", 19).previous.key == "2024-12"
    assert Period("2025-03", 19).year_ago.first_day.isoformat() == "2024-02-19"
    assert parse_period("2025-02").end_day.isoformat() == "2025-03-01"


def test_cut_off_day_moves_follow_ups_between_periods(org):
    follow_up(org, org.street1, when=at(2025, 3, 18, 20, 0))
    follow_up(org, org.street1, when=at(2025, 3, 19, 9, 0))
    cfg = EvaluationConfig(period_start_day=19)
    march = rates.figures_for_units([org.street1], Period("2025-03", 19), cfg)
    april = rates.figures_for_units([org.street1], Period("2025-04", 19), cfg)
    assert march[org.street1.pk].valid == 1 and april[org.street1.pk].valid == 1
    assert rates.figures_for_units([org.street1], MARCH, active_config())[org.street1.pk].valid == 2
