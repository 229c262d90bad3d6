"""Evaluation periods. A period is named after the month it ends in ("2025-03"). With a start day
of 1 it is the calendar month; with a start day of 19 it runs from 19 February 00:00 to
19 March 00:00 (i.e. the 19th to the 18th)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from minhu.core.errors import InvalidInput

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    m = year * 12 + (month - 1) + n
    return m // 12, m % 12 + 1


@dataclass(frozen=True)
class Period:
    key: str
    start_day: int = 1

    @property
    def year(self) -> int:
        return int(self.key[:4])

    @property
    def month(self) -> int:
        return int(self.key[5:7])

    @property
    def first_day(self) -> dt.date:
        if self.start_day == 1:
            return dt.date(self.year, self.month, 1)
        y, m = _add_months(self.year, self.month, -1)
        return dt.date(y, m, self.start_day)

    @property
    def end_day(self) -> dt.date:
        """First day after the period (exclusive)."""
        if self.start_day == 1:
            y, m = _add_months(self.year, self.month, 1)
            return dt.date(y, m, 1)
        return dt.date(self.year, self.month, self.start_day)

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return _aware(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return _aware(self.end_day)

    def shift(self, months: int) -> Period:
        y, m = _add_months(self.year, self.month, months)
        return Period(f"{y:04d}-{m:02d}", self.start_day)

    @property
    def previous(self) -> Period:
        return self.shift(-1)

    @property
    def year_ago(self) -> Period:
        return self.shift(-12)

    def has_ended(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.end

    @property
    def label(self) -> str:
        """ "2025年3月" (or "March 2025"), in the active language; with a start day other than
        the 1st, the dates it runs between follow."""
        month = date_format(dt.date(self.year, self.month, 1), "YEAR_MONTH_FORMAT")
        if self.start_day == 1:
            return month
        return _("%(month)s（%(start)s—%(end)s）") % {
            "month": month,
            "start": date_format(self.first_day, "MONTH_DAY_FORMAT"),
            "end": date_format(self.last_day, "MONTH_DAY_FORMAT"),
        }

    def __str__(self) -> str:
        return self.key


def period_for(day: dt.date | dt.datetime, start_day: int = 1) -> Period:
    """The period a date (or an aware datetime, in local time) falls in."""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    y, m = day.year, day.month
    if start_day > 1 and day.day >= start_day:
        y, m = _add_months(y, m, 1)
    return Period(f"{y:04d}-{m:02d}", start_day)


def parse_period(value: str | None, start_day: int = 1, *, default: Period | None = None) -> Period:
    if not value:
        if default is not None:
            return default
        raise InvalidInput(_("请指定考核周期"), code="period_required", field="period")
    match = PERIOD_RE.match(value.strip()) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidInput(_("考核周期格式应为 YYYY-MM"), code="invalid_period", field="period")
    return Period(value.strip(), start_day)


def current_period(start_day: int = 1) -> Period:
    return period_for(timezone.localdate(), start_day)


def last_ended_period(start_day: int = 1) -> Period:
    return current_period(start_day).previous
