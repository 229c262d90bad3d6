"""The working-day calendar: China's official holidays and make-up working days (调休) from
chinese-calendar for 2025–2026, admin overrides on top, and the fallback for 2027, which the
package does not cover yet. Every expected date below was checked against chinese_calendar
1.11.0 (and the State Council notices it encodes)."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest

from minhu.deadlines import calendar
from minhu.deadlines.calendar import (
    add_limit,
    add_working_days,
    add_working_hours,
    is_calendar_covered,
    is_workday,
    official_is_workday,
    working_days_between,
)
from minhu.deadlines.models import CalendarOverride, Measure

CST = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def days(start: D, end: D):
    while start <= end:
        yield start
        start += dt.timedelta(days=1)


# --- the official calendar ------------------------------------------------------------------

MAKE_UP_WORKDAYS = [
    D(2025, 1, 26),  # Sunday, for the Spring Festival
    D(2025, 2, 8),  # Saturday, for the Spring Festival
    D(2025, 4, 27),  # Sunday, for Labour Day
    D(2025, 9, 28),  # Sunday, for National Day
    D(2025, 10, 11),  # Saturday, for National Day
    D(2026, 1, 4),  # Sunday, for New Year's Day
    D(2026, 2, 14),  # Saturday, for the Spring Festival
    D(2026, 2, 28),  # Saturday, for the Spring Festival
    D(2026, 5, 9),  # Saturday, for Labour Day
    D(2026, 9, 20),  # Sunday, for National Day
    D(2026, 10, 10),  # Saturday, for National Day
]
HOLIDAYS = [
    *days(D(2025, 1, 28), D(2025, 2, 4)),  # Spring Festival 2025
    *days(D(2025, 10, 1), D(2025, 10, 8)),  # National Day + Mid-Autumn 2025
    *days(D(2025, 5, 1), D(2025, 5, 5)),  # Labour Day 2025
    *days(D(2026, 1, 1), D(2026, 1, 3)),  # New Year 2026
    *days(D(2026, 2, 15), D(2026, 2, 23)),  # Spring Festival 2026
    *days(D(2026, 10, 1), D(2026, 10, 7)),  # National Day 2026
]


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS, ids=str)
def test_make_up_working_days(db, day):
    assert day.weekday() >= 5  # a weekend day...
    assert official_is_workday(day) and is_workday(day)  # ...that is worked


@pytest.mark.parametrize("day", HOLIDAYS, ids=str)
def test_holidays(db, day):
    assert not official_is_workday(day) and not is_workday(day)


def test_ordinary_days_around_the_holidays(db):
    assert is_workday(D(2025, 1, 27))  # Monday before the 2025 Spring Festival
    assert is_workday(D(2025, 2, 5))  # first day back
    assert not is_workday(D(2025, 1, 25))  # Saturday, not a make-up day
    assert is_workday(D(2025, 10, 9))
    assert not is_workday(D(2025, 10, 12))  # Sunday
    assert is_workday(D(2026, 2, 24))


def test_matches_chinese_calendar_every_day_of_2025_and_2026(db):
    for day in days(D(2025, 1, 1), D(2026, 12, 31)):
        assert official_is_workday(day) == chinese_calendar.is_workday(day), day
    assert is_calendar_covered(2025) and is_calendar_covered(2026)


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, n, due",
    [
        (at(2025, 1, 24, 10), 1, at(2025, 1, 26, 17, 30)),  # Fri → the make-up Sunday
        (at(2025, 1, 24, 10), 2, at(2025, 1, 27, 17, 30)),
        (at(2025, 1, 27, 10), 1, at(2025, 2, 5, 17, 30)),  # over the Spring Festival
        (at(2025, 1, 27, 10), 3, at(2025, 2, 7, 17, 30)),
        (at(2025, 2, 7, 10), 1, at(2025, 2, 8, 17, 30)),  # make-up Saturday
        (at(2025, 9, 26, 10), 1, at(2025, 9, 28, 17, 30)),  # make-up Sunday
        (at(2025, 9, 30, 10), 1, at(2025, 10, 9, 17, 30)),  # over National Day
        (at(2025, 10, 10, 10), 1, at(2025, 10, 11, 17, 30)),  # make-up Saturday
        (at(2025, 10, 10, 10), 2, at(2025, 10, 13, 17, 30)),
        (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 17, 30)),  # make-up Saturday
        (at(2026, 2, 13, 10), 2, at(2026, 2, 24, 17, 30)),  # over the 2026 Spring Festival
        (at(2026, 9, 30, 10), 1, at(2026, 10, 8, 17, 30)),  # over National Day 2026
        (at(2026, 10, 9, 10), 1, at(2026, 10, 10, 17, 30)),  # make-up Saturday
        (at(2025, 3, 7, 10), 3, at(2025, 3, 12, 17, 30)),  # plain weekend
        (at(2025, 3, 8, 10), 1, at(2025, 3, 10, 17, 30)),  # received on a Saturday
        (at(2025, 3, 10, 10), 0, at(2025, 3, 10, 17, 30)),  # 0: end of the same day
        (at(2025, 3, 10, 10), "0.5", at(2025, 3, 11, 17, 30)),  # part of a day = a day
    ],
)
def test_add_working_days(db, start, n, due):
    from decimal import Decimal

    assert add_working_days(start, Decimal(n)) == due


def test_add_working_days_uses_the_local_date(db):
    # 2025-01-24 23:30 UTC is Saturday 01-25 07:30 in China: the count starts from Saturday.
    start = dt.datetime(2025, 1, 24, 23, 30, tzinfo=dt.UTC)
    assert add_working_days(start, 1) == at(2025, 1, 26, 17, 30)


def test_working_days_between(db):
    assert working_days_between(at(2025, 1, 24, 10), at(2025, 2, 5, 10)) == 3
    assert working_days_between(at(2025, 2, 5, 10), at(2025, 1, 24, 10)) == 0


# --- working hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, hours, due",
    [
        (at(2025, 3, 7, 16, 30), 2, at(2025, 3, 10, 10, 0)),  # across a weekend
        (at(2025, 1, 27, 17, 0), 1, at(2025, 2, 5, 9, 30)),  # across the Spring Festival
        (at(2025, 2, 7, 17, 0), 1, at(2025, 2, 8, 9, 30)),  # onto a make-up Saturday
        (at(2025, 9, 30, 16, 0), 4, at(2025, 10, 9, 11, 30)),  # across National Day
        (at(2025, 3, 10, 7, 0), 1, at(2025, 3, 10, 10, 0)),  # before office hours
        (at(2025, 3, 10, 18, 0), 1, at(2025, 3, 11, 10, 0)),  # after office hours
        (at(2025, 3, 8, 12, 0), 2, at(2025, 3, 10, 11, 0)),  # received on a Saturday
        (at(2025, 3, 10, 9, 0), 8.5, at(2025, 3, 10, 17, 30)),  # a whole working day
        (at(2025, 3, 10, 9, 0), 9, at(2025, 3, 11, 9, 30)),
    ],
)
def test_add_working_hours(db, start, hours, due):
    assert add_working_hours(start, hours) == due


def test_working_hours_follow_the_configured_window(db, settings):
    settings.MINHU_WORK_START, settings.MINHU_WORK_END = "08:30", "12:00"
    assert add_working_hours(at(2025, 3, 7, 11, 0), 2) == at(2025, 3, 10, 9, 30)


# --- natural time ---------------------------------------------------------------------------


def test_natural_days_and_hours_ignore_the_calendar(db):
    start = at(2025, 1, 27, 10, 0)
    assert add_limit(start, 7, Measure.NATURAL_DAYS) == at(2025, 2, 3, 10, 0)
    assert add_limit(start, 24, Measure.NATURAL_HOURS) == at(2025, 1, 28, 10, 0)
    assert add_limit(start, "0.5", Measure.NATURAL_HOURS) == at(2025, 1, 27, 10, 30)
    assert add_limit(start, 1, Measure.WORKING_DAYS) == at(2025, 2, 5, 17, 30)
    assert add_limit(start, 1, Measure.WORKING_HOURS) == at(2025, 1, 27, 11, 0)
    with pytest.raises(ValueError):
        add_limit(start, 1, "fortnights")


# --- overrides ------------------------------------------------------------------------------


def test_override_makes_a_working_day_a_holiday(db):
    CalendarOverride.objects.create(date=D(2025, 1, 24), is_workday=False, name="临时停工")
    assert not is_workday(D(2025, 1, 24))
    assert add_working_days(at(2025, 1, 23, 10), 1) == at(2025, 1, 26, 17, 30)
    assert add_working_hours(at(2025, 1, 23, 17, 0), 1) == at(2025, 1, 26, 9, 30)


def test_override_makes_a_weekend_a_working_day(db):
    CalendarOverride.objects.create(date=D(2025, 3, 8), is_workday=True, name="调休")
    assert is_workday(D(2025, 3, 8)) and not official_is_workday(D(2025, 3, 8))
    assert add_working_days(at(2025, 3, 7, 10), 1) == at(2025, 3, 8, 17, 30)
    assert add_working_hours(at(2025, 3, 7, 17, 0), 1) == at(2025, 3, 8, 9, 30)


def test_override_wins_over_a_make_up_day(db):
    CalendarOverride.objects.create(date=D(2025, 1, 26), is_workday=False)
    assert add_working_days(at(2025, 1, 24, 10), 1) == at(2025, 1, 27, 17, 30)


# --- 2027: not in chinese-calendar yet ------------------------------------------------------


def test_chinese_calendar_has_no_2027_yet():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 6, 1))
    assert not is_calendar_covered(2027)


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(calendar, "_warned_years", set())


def test_2027_fallback_weekends_and_fixed_holidays(db, fresh_warnings, caplog):
    with caplog.at_level(logging.WARNING, logger="minhu.deadlines"):
        assert not is_workday(D(2027, 1, 1))  # Friday, New Year's Day
        assert not is_workday(D(2027, 1, 2))  # Saturday
        assert is_workday(D(2027, 1, 4))  # Monday
        assert not is_workday(D(2027, 5, 1)) and is_workday(D(2027, 5, 3))
        assert not is_workday(D(2027, 10, 1)) and is_workday(D(2027, 10, 4))
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING  # once per year


def test_2027_deadlines_keep_working(db, fresh_warnings, caplog):
    with caplog.at_level(logging.WARNING, logger="minhu.deadlines"):
        # Thu 2026-12-31 + 1 working day: Fri 2027-01-01 is New Year's Day → Mon 01-04.
        assert add_working_days(at(2026, 12, 31, 10), 1) == at(2027, 1, 4, 17, 30)
        assert add_working_hours(at(2026, 12, 31, 17, 0), 1) == at(2027, 1, 4, 9, 30)
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_2027_overrides_fill_the_gap(db, fresh_warnings):
    # An admin enters the State Council's notice: a make-up Saturday.
    CalendarOverride.objects.create(date=D(2027, 2, 6), is_workday=True, name="春节调休")
    assert is_workday(D(2027, 2, 6))
    assert add_working_days(at(2027, 2, 5, 10), 1) == at(2027, 2, 6, 17, 30)
