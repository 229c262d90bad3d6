"""A frozen, movable clock for building history: while active, `django.utils.timezone.now()`
returns the clock's time, so the appeal verbs (which read `timezone.now()` through `_now()`),
model field defaults (`default=timezone.now`) and `auto_now` fields all stamp the moment the
demo says an action happened.

Django binds `default=timezone.now` to the function object, so patching the module attribute
`timezone.now` would miss the defaults. `now()` itself looks up the module global `datetime`
on every call, so the clock swaps that for a subclass whose `now()` is frozen."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from unittest import mock

from django.conf import settings
from django.utils import timezone as dj_timezone

from minhu.deadlines.calendar import official_is_workday

_REAL_DATETIME = dt.datetime


class DemoClock:
    """Use as a context manager; `set()` then `after_*()` to move forward. Never passes
    `ceiling` (a little before the real now) by more than a second per step."""

    def __init__(self, rng: random.Random, ceiling: dt.datetime):
        self.rng = rng
        self.ceiling = ceiling
        self.t: dt.datetime | None = None
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self._patch = None
        self._workday: dict[dt.date, bool] = {}
        self.compressed = 0  # steps squeezed to fit before the ceiling

    # context ----------------------------------------------------------------------------------
    def __enter__(self) -> DemoClock:
        clock = self

        class _FrozenDatetime(_REAL_DATETIME):
            @classmethod
            def now(cls, tz=None):
                if clock.t is None:
                    return _REAL_DATETIME.now(tz)
                if tz is None:
                    return clock.t.astimezone(clock.tz).replace(tzinfo=None)
                return clock.t.astimezone(tz)

        self._patch = mock.patch.object(dj_timezone, "datetime", _FrozenDatetime)
        self._patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._patch.stop()
        self._patch = None

    # moving -----------------------------------------------------------------------------------
    def set(self, moment: dt.datetime) -> dt.datetime:
        self.t = min(moment, self.ceiling)
        return self.t

    def _to(self, candidate: dt.datetime) -> dt.datetime:
        if candidate > self.ceiling:
            # Out of room: compress the rest of the story into minutes, then seconds.
            self.compressed += 1
            candidate = self.t + dt.timedelta(minutes=self.rng.uniform(1, 3))
            if candidate > self.ceiling:
                candidate = self.t + dt.timedelta(seconds=1)
        self.t = candidate
        return self.t

    def after_minutes(self, lo: float, hi: float) -> dt.datetime:
        return self._to(self.t + dt.timedelta(minutes=self.rng.uniform(lo, hi)))

    def after_hours(self, lo: float, hi: float) -> dt.datetime:
        """Any time of day (the 12345 centre and residents do not keep office hours)."""
        return self._to(self.t + dt.timedelta(hours=self.rng.uniform(lo, hi)))

    def after_work_hours(self, lo: float, hi: float) -> dt.datetime:
        """A unit's action: some hours later, moved into office hours on a working day."""
        candidate = self.t + dt.timedelta(hours=self.rng.uniform(lo, hi))
        return self._to(self._into_office_hours(candidate))

    def after_duty_hours(self, lo: float, hi: float) -> dt.datetime:
        """A duty officer's action: some hours later, any day, between 08:00 and 21:00."""
        candidate = self.t + dt.timedelta(hours=self.rng.uniform(lo, hi))
        local = candidate.astimezone(self.tz)
        if not dt.time(8, 0) <= local.time() <= dt.time(21, 0):
            day = local.date() + dt.timedelta(days=1 if local.hour >= 21 else 0)
            candidate = _REAL_DATETIME.combine(day, dt.time(8, 0), tzinfo=self.tz)
            candidate += dt.timedelta(minutes=self.rng.uniform(0, 90))
        return self._to(candidate)

    def after_work_days(self, lo: float, hi: float) -> dt.datetime:
        return self.after_work_hours(lo * 24, hi * 24)

    # helpers ----------------------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day not in self._workday:
            self._workday[day] = official_is_workday(day)
        return self._workday[day]

    def _into_office_hours(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.tz)
        open_, close = dt.time(8, 30), dt.time(18, 0)
        if self.is_workday(local.date()) and open_ <= local.time() <= close:
            return moment
        day = local.date()
        if local.time() > close or not self.is_workday(day):
            day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        start = _REAL_DATETIME.combine(day, open_, tzinfo=self.tz)
        return start + dt.timedelta(minutes=self.rng.uniform(0, 150))
