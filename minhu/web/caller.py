"""Caller history on intake (desk feature 3): as the phone is typed, the caller's earlier
appeals, and the repeat-caller flag — the same caller raising the same problem (the same
category, or a subject sharing most of its character pairs) within MINHU_REPEAT_CALLER_DAYS.

Only users who may see phones unmasked get a history, and only of appeals whose phone they may
see (`appeals.access.phone_visible_q`): anyone else could learn who called about what by typing
numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from minhu.appeals.access import appeals_visible_to, phone_visible_q
from minhu.appeals.models import Appeal
from minhu.categories.models import Category
from minhu.core.phones import is_phone
from minhu.routing.text import bigrams

SHOWN = 8
SAME_SUBJECT = 0.5  # share of the shorter subject's character pairs found in the other


@dataclass
class CallerHistory:
    total: int
    appeals: list[Appeal]
    days: int
    repeats: list[Appeal] = field(default_factory=list)

    @property
    def repeat(self) -> bool:
        return bool(self.repeats)


def same_subject(a: str, b: str) -> bool:
    x, y = set(bigrams(a)), set(bigrams(b))
    if not x or not y:
        return False
    return len(x & y) / min(len(x), len(y)) >= SAME_SUBJECT


def _same_category(appeal: Appeal, category: Category | None) -> bool:
    if category is None or appeal.category_id is None:
        return False
    return appeal.category_id == category.pk or (
        appeal.category.parent_id is not None and appeal.category.parent_id == category.parent_id
    )


def history(
    user, phone: str, *, category_id: int | None = None, subject: str = "", now=None
) -> CallerHistory | None:
    """The caller's earlier appeals as `user` may see them; None when the number is not a whole
    phone number or the user may not match phones."""
    phone = (phone or "").strip().replace(" ", "")
    visible = phone_visible_q(user)
    if visible is None or not is_phone(phone):
        return None
    qs = appeals_visible_to(user).filter(visible, appellant_phone=phone)
    total = qs.count()
    rows = list(
        qs.select_related("category__parent", "lead_unit").order_by("-created_at", "-id")[:SHOWN]
    )
    days = settings.MINHU_REPEAT_CALLER_DAYS
    since = (now or timezone.now()) - dt.timedelta(days=days)
    category = (
        Category.objects.filter(pk=category_id).select_related("parent").first()
        if category_id
        else None
    )
    recent = Q(created_at__gte=since)
    repeats = [
        a
        for a in qs.filter(recent).select_related("category").order_by("-created_at")[:50]
        if _same_category(a, category) or (subject and same_subject(a.subject, subject))
    ]
    repeat_ids = {a.pk for a in repeats}
    for a in rows:
        a.same_problem = a.pk in repeat_ids
    return CallerHistory(total=total, appeals=rows, days=days, repeats=repeats)
