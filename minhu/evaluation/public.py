"""Public 阅卷 (seed 001: residents "mark the exam" of their government): per district, the
figures of an ended period with the definition of each, the published (frozen) rankings and
the promises of the units called in (约谈). No login and no personal data: unit names and
counts only. The page and its API share `exam()`, which is cached (MINHU_PUBLIC_CACHE_SECONDS)
and rate-limited per client address (`core.ratelimit` bucket "page")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from minhu.core import ratelimit
from minhu.core.errors import InvalidInput, NotFound
from minhu.core.times import local_iso
from minhu.orgs.models import OUTSIDE_KINDS, Unit, UnitKind

from . import figures, rankings, rates
from .models import EvaluationConfig, RankingGroup, RankingSnapshot
from .periods import Period, last_ended_period, parse_period

PERIODS = 12  # ended periods a visitor can choose from
CACHE_SECONDS = 300


def districts():
    return Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).order_by("path", "pk")


def district(pk) -> Unit:
    """The district of the page; "not found" for any other unit."""
    try:
        return districts().get(pk=int(pk))
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def periods(config: EvaluationConfig) -> list[Period]:
    """The ended periods the page offers, newest first (a running period is never public;
    older ended periods are shown when asked for)."""
    last = last_ended_period(config.period_start_day)
    return [last.shift(-i) for i in range(PERIODS)]


def period_of(value: str | None, config: EvaluationConfig) -> Period:
    offered = periods(config)
    if not value:
        return offered[0]
    period = parse_period(value, config.period_start_day)
    if not period.has_ended():
        raise InvalidInput(
            _("%(period)s尚未结束，结束后公布") % {"period": period.label},
            code="period_not_ended",
            field="period",
        )
    return period


def check_limit(request) -> None:
    """Every public figure request counts; over the limit it is refused (429)."""
    if ratelimit.public_exceeded("page", request):
        raise ratelimit.public_refusal("page")
    ratelimit.public_hit("page", request)


def _s(v) -> str | None:
    return None if v is None else str(v)


def _figure(key: str, value, num=None, den=None) -> dict:
    d = figures.DEFINITIONS[key]
    return {
        "key": key,
        "name": str(d.name),
        "value": _s(value),
        "numerator": num,
        "denominator": den,
        "definition": {**d.as_dict(), "text": d.text},
    }


def _rate_figures(f: rates.Figures, config: EvaluationConfig) -> list[dict]:
    basic = Decimal(config.basic_weight).normalize()
    return [
        _figure("response_rate", f.response_rate, f.response_yes, f.response_base),
        _figure("solve_rate", f.solve_rate, f.solved, f.valid),
        _figure(
            "satisfaction_rate",
            f.satisfaction_rate,
            f"{f.satisfied} + {f.basic} × {basic}",
            f.valid,
        ),
        _figure("composite", f.composite),
    ]


def _completion_figures(done: dict) -> list[dict]:
    return [
        _figure("completion_rate", done["completion_rate"], done["handled"], done["registered"]),
        _figure("on_time_rate", done["on_time_rate"], done["on_time"], done["handled"]),
        _figure(
            "rectification_rate", done["rectification_rate"], done["closed"], done["registered"]
        ),
    ]


def _group_rows(snap: RankingSnapshot) -> list[dict]:
    out = []
    for r in rankings.snapshot_rows(snap):
        f, done = r.figures, r.completion
        out.append(
            {
                "unit_name": r.unit_name,
                "rank": r.rank,
                "valid": f.valid,
                "response_rate": _s(f.response_rate),
                "solve_rate": _s(f.solve_rate),
                "satisfaction_rate": _s(f.satisfaction_rate),
                "composite": _s(f.composite),
                "completion_rate": _s(done["completion_rate"]) if done else None,
                "on_time_rate": _s(done["on_time_rate"]) if done else None,
                "rectification_rate": _s(done["rectification_rate"]) if done else None,
            }
        )
    out.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit_name"]))
    return out


def _published(period: Period) -> list[RankingSnapshot]:
    snaps = []
    for group in RankingGroup:
        snap = rankings.published(period, group)
        if snap is not None:
            snaps.append(snap)
    return snaps


def _version(period: Period) -> str:
    """Changes whenever something shown is published anew (a snapshot, a promise)."""
    from .models import EvaluationEvent

    snap = RankingSnapshot.objects.filter(period=period.key).aggregate(m=Max("id"))["m"] or 0
    ev = EvaluationEvent.objects.filter(target_type="Interview").aggregate(m=Max("id"))["m"] or 0
    return f"{snap}.{ev}"


def exam(unit: Unit, period: Period, config: EvaluationConfig) -> dict:
    """The district's public figures of an ended period (JSON-safe, cached)."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    key = f"public-exam:{unit.pk}:{period.key}:{period.start_day}:{lang}:{_version(period)}"
    data = cache.get(key)
    if data is None:
        data = _build(unit, period, config)
        seconds = getattr(settings, "MINHU_PUBLIC_CACHE_SECONDS", CACHE_SECONDS)
        cache.set(key, data, seconds)
    return data


def _build(unit: Unit, period: Period, config: EvaluationConfig) -> dict:
    from . import promises

    start, end = period.first_day, period.end_day
    f = rates.figures_total(start, end, config)
    done = figures.completion(start, end)
    channels = [
        {**r, "yoy": _s(r["yoy"])}
        for r in figures.yoy_by_channel(period)
        if r["count"] or r["year_ago"]
    ]
    groups = []
    for snap in _published(period):
        if (
            snap.group == RankingGroup.PARTY
            and not Unit.objects.filter(kind__in=OUTSIDE_KINDS).exists()
        ):
            continue
        groups.append(
            {
                "group": snap.group,
                "label": str(snap.get_group_display()),
                "version": snap.version,
                "frozen_at": local_iso(snap.frozen_at),
                "rows": _group_rows(snap),
            }
        )
    total = sum(r["count"] for r in channels)
    year_ago = sum(r["year_ago"] for r in channels)
    return {
        "district": {"id": unit.pk, "name": unit.name},
        "period": {
            "key": period.key,
            "label": period.label,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "volume": {
            "registered": total,
            "year_ago": year_ago,
            "yoy": _s(figures.pct_change(total, year_ago)),
            "definition": {
                **figures.DEFINITIONS["yoy"].as_dict(),
                "text": figures.DEFINITIONS["yoy"].text,
            },
            "channels": channels,
        },
        "rates": _rate_figures(f, config),
        "valid_follow_ups": f.valid,
        "completion": _completion_figures(done),
        "outcomes": done["outcomes"],
        "rankings": groups,
        "promises": (made := promises.public_promises(period.key)),
        "promise_summary": promises.summary(made),
    }
