"""Open work that keeps a unit from being deactivated, declared by the apps that hold it (the
loop registers its open work items in AppealsConfig.ready()), so orgs imports none of them."""

from __future__ import annotations

from collections.abc import Callable

_OPEN_WORK: dict[str, Callable] = {}


def register_open_work(name: str, count: Callable) -> None:
    """`count(unit) -> int`: open items of one sort the unit still holds."""
    _OPEN_WORK[name] = count


def open_work_count(unit) -> int:
    return sum(count(unit) for count in _OPEN_WORK.values())
