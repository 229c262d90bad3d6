"""China's working-day calendar: chinese-calendar's official holidays and make-up working days
(调休), admin overrides on top, and a safe fallback for years the package does not cover yet
(weekends plus the fixed-date statutory holidays; admins add the rest when the State Council
publishes them)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from decimal import Decimal

import chinese_calendar
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("minhu.deadlines")

# Statutory holidays that fall on fixed solar dates (元旦, 劳动节, 国庆节).
FALLBACK_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
_warned_years: set[int] = set()


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from .models import CalendarOverride

    return dict(
        CalendarOverride.objects.filter(date__range=(start, end)).values_list("date", "is_workday")
    )


def official_is_workday(day: dt.date) -> bool:
    """chinese-calendar's answer, or the fallback where it has no data for that year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinese-calendar has no data for %s; using the fallback calendar "
                "(weekends and fixed-date holidays). Add calendar overrides for %s.",
                day.year,
                day.year,
            )
        return day.weekday() < 5 and (day.month, day.day) not in FALLBACK_FIXED_HOLIDAYS


def is_calendar_covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class WorkCalendar:
    """Answers is_workday for a window of dates with one query for the overrides."""

    def __init__(self, start: dt.date, days: int = 400):
        self.start = start
        self.end = start + dt.timedelta(days=days)
        self._overrides = _overrides(start - dt.timedelta(days=1), self.end)

    def is_workday(self, day: dt.date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        return official_is_workday(day)


def is_workday(day: dt.date) -> bool:
    return WorkCalendar(day, days=0).is_workday(day)


def _parse_hm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def work_window() -> tuple[dt.time, dt.time]:
    return _parse_hm(settings.MINHU_WORK_START), _parse_hm(settings.MINHU_WORK_END)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else timezone.make_aware(moment)


def _at(day: dt.date, t: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, t))


def add_working_days(start: dt.datetime, days: int | Decimal) -> dt.datetime:
    """The end of the working day that is the `days`-th working day after the start's date (the
    day of receipt does not count). A fraction of a day counts as a whole day."""
    n = math.ceil(Decimal(days))  # Decimal's // truncates towards zero: not a ceiling
    local = _local(start)
    day = local.date()
    cal = WorkCalendar(day, days=max(60, n * 3 + 30))
    _, end = work_window()
    if n <= 0:
        return _at(day, end)
    while n > 0:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return _at(day, end)


def add_working_hours(start: dt.datetime, hours: int | Decimal) -> dt.datetime:
    """Counts only time inside working hours on working days."""
    remaining = dt.timedelta(hours=float(hours))
    local = _local(start)
    begin, end = work_window()
    cal = WorkCalendar(local.date(), days=60 + int(float(hours) // 4))
    cursor = local
    while True:
        day = cursor.date()
        if cal.is_workday(day):
            day_start, day_end = _at(day, begin), _at(day, end)
            if cursor < day_start:
                cursor = day_start
            if cursor < day_end:
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        cursor = _at(day + dt.timedelta(days=1), dt.time(0, 0))


def add_limit(start: dt.datetime, amount: Decimal | int, measure: str) -> dt.datetime:
    from .models import Measure

    if measure == Measure.WORKING_DAYS:
        return add_working_days(start, amount)
    if measure == Measure.WORKING_HOURS:
        return add_working_hours(start, amount)
    if measure == Measure.NATURAL_DAYS:
        return start + dt.timedelta(days=float(amount))
    if measure == Measure.NATURAL_HOURS:
        return start + dt.timedelta(hours=float(amount))
    raise ValueError(f"unknown measure {measure!r}")


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working days used from start to end: working dates after start's date up to end's date."""
    a, b = _local(start).date(), _local(end).date()
    if b <= a:
        return 0
    cal = WorkCalendar(a, days=(b - a).days + 1)
    return sum(1 for i in range(1, (b - a).days + 1) if cal.is_workday(a + dt.timedelta(days=i)))
