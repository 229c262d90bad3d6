"""Test helpers for per-category fields."""

from __future__ import annotations

from minhu.categories import actions
from minhu.categories.models import CategoryField


def field(org, code: str, label: str, *, category=None, **kw) -> CategoryField:
    """An extra field of `category` (default: the test organisation's 路灯照明), by its admin."""
    return actions.create_category_field(
        actor=org.admin, category=category or org.category, code=code, label=label, **kw
    )
