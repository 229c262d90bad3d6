"""Demo parts: how other apps add their share of the demo district without editing the builder.

An app that has demo data (a household registry, consultation rooms, deputies, Open311 keys, ...)
declares it once, in its `AppConfig.ready()`:

    from minhu.demo.parts import DemoPart, register_part

    register_part(DemoPart(
        code="registry", label="户籍台账", order=10,
        build=build_registry_demo,      # (seed=, now=, out=) -> one summary line
        is_built=registry_demo_built,   # () -> bool: already there (resume, --if-empty)
        logins=registry_logins,         # () -> [(username, password, role, unit), ...]
        needs=(),                       # codes of parts that must be built first
    ))

`minhu demo` runs every part, in `order`, after the appeals, routing and accountability data, each
in its own transaction; a part that is already built is skipped, so an interrupted demo resumes.
A part whose `needs` are not all built (a part it waits for is not registered, or not built yet)
stays pending and is not run: it builds on a later run, once what it needs is there.
`minhu demo --logins` appends each part's logins to the table. A part builds through its app's
verbs (actions.py), like the rest of the demo, and must be deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class DemoPart:
    code: str
    label: str
    build: Callable[..., str]
    is_built: Callable[[], bool]
    logins: Callable[[], list[tuple[str, str, str, str]]] | None = None
    order: int = 100
    needs: tuple[str, ...] = ()


_PARTS: dict[str, DemoPart] = {}


def register_part(part: DemoPart) -> None:
    _PARTS[part.code] = part


def parts() -> list[DemoPart]:
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.code))


def pending_parts() -> list[DemoPart]:
    return [p for p in parts() if not p.is_built()]


def _needs_met(part: DemoPart) -> bool:
    for code in part.needs:
        need = _PARTS.get(code)
        if need is None or not need.is_built():
            return False
    return True


def buildable_parts() -> list[DemoPart]:
    """The pending parts whose needs are built now (in order)."""
    return [p for p in pending_parts() if _needs_met(p)]


def build_parts(seed: int, now: dt.datetime, out: Callable[[str], None]) -> dict[str, str]:
    """Build every part not built yet whose needs are met, in order; a part that waits for one
    built later in the same run is built after it. Returns {code: summary line}."""
    done: dict[str, str] = {}
    while True:
        ready = [p for p in buildable_parts() if p.code not in done]
        if not ready:
            if done:
                _refresh_aggregates()
            return done
        part = ready[0]
        with transaction.atomic():
            line = part.build(seed=seed, now=now, out=out)
        done[part.code] = line
        out(f"{part.label}：{line}")


def _refresh_aggregates() -> None:
    """Parts add work items dated in the past (a meeting's decision last week): once the daily
    aggregates exist, rebuild them so the dashboards and `check-aggregates` count those items."""
    from minhu.evaluation import aggregates

    if aggregates.covered_until() is not None:
        aggregates.rebuild()


def part_logins() -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for part in parts():
        if part.logins is not None:
            rows.extend(part.logins())
    return rows
