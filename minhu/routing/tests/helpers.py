"""Helpers for the routing tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel

_phone = iter(range(10**6))


def register(
    org,
    subject: str,
    detail: str = "",
    *,
    grid=None,
    address: str = "",
    created_at: dt.datetime | None = None,
    **extra,
) -> Appeal:
    """Register an appeal through the verb, as the dispatcher (hotline)."""
    return actions.register_appeal(
        actor=org.dispatcher,
        channel=Channel.HOTLINE,
        subject=subject,
        detail=detail or f"{subject}，请尽快处理。",
        appellant_name="张三",
        appellant_phone=f"138{next(_phone):08d}",
        grid=grid,
        address=address,
        created_at=created_at,
        **extra,
    )


def days_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


class FakeClassifier:
    """Stands in for a trained routing.textclf model where a test is about what intake does
    with a prediction, not about the classifier."""

    def __init__(self, top: list[tuple[str, float]]):
        self.top = top
        self.labels = [label for label, _ in top]
        self.params = {}

    def predict_top(self, subject: str, detail: str, k: int = 3):
        return self.top[:k]
