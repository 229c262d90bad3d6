"""Demo parts: how other apps add their share of the demo district without editing the builder.

An app that has demo data (a household registry, consultation rooms, deputies, Open311 keys, ...)
declares it once, in its `AppConfig.ready()`:

    from minhu.demo.parts import DemoPart, register_part

    register_part(DemoPart(
        code="registry", label="户籍台账", order=10,
        build=build_registry_demo,      # (seed=, now=, out=) -> one summary line
        is_built=registry_demo_built,   # () -> bool: already there (resume, --if-empty)
        logins=registry_logins,         # () -> [(username, password, role, unit), ...]
    ))

`minhu demo` runs every part, in `order`, after the appeals, routing and accountability data, each
in its own transaction; a part that is already built is skipped, so an interrupted demo resumes.
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


_PARTS: dict[str, DemoPart] = {}


def register_part(part: DemoPart) -> None:
    _PARTS[part.code] = part


def parts() -> list[DemoPart]:
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.code))


def pending_parts() -> list[DemoPart]:
    return [p for p in parts() if not p.is_built()]


def build_parts(seed: int, now: dt.datetime, out: Callable[[str], None]) -> dict[str, str]:
    """Build every part not built yet; returns {code: summary line}."""
    done: dict[str, str] = {}
    for part in pending_parts():
        with transaction.atomic():
            line = part.build(seed=seed, now=now, out=out)
        done[part.code] = line
        out(f"{part.label}：{line}")
    return done


def part_logins() -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for part in parts():
        if part.logins is not None:
            rows.extend(part.logins())
    return rows
