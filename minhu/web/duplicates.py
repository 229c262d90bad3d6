"""Candidate duplicates shown beside a new appeal in the dispatch centre, and the appeals linked
to an appeal (关联诉求).

The candidates are the routing engine's (`minhu.routing.duplicates.candidates`), re-read
through the user's scope."""

from __future__ import annotations

import inspect
import re

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Appeal

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z0-9]{3,}")
# Two-character words that say nothing about the problem.
_STOP = {
    "问题",
    "反映",
    "投诉",
    "咨询",
    "希望",
    "要求",
    "请求",
    "关于",
    "小区",
    "附近",
    "门口",
    "我们",
    "居民",
    "群众",
    "一直",
    "没有",
    "严重",
    "处理",
    "解决",
    "情况",
    "相关",
    "部门",
}


def keywords(text: str, limit: int = 8) -> list[str]:
    """Two-character words (bigrams) of Chinese runs and longer Latin/number tokens."""
    words: list[str] = []
    for run in _CJK_RUN.findall(text or ""):
        if run.isascii():
            grams = [run.lower()]
        else:
            grams = [run[i : i + 2] for i in range(len(run) - 1)]
        for g in grams:
            if g not in _STOP and g not in words:
                words.append(g)
    return words[:limit]


def _as_appeal(item) -> Appeal | None:
    """Accepts an Appeal, (appeal, score, reasons) tuples or objects with `.appeal`; keeps the
    engine's score and reasons on the appeal for the panel."""
    appeal, score, reasons = None, None, []
    if isinstance(item, Appeal):
        appeal = item
    elif isinstance(item, (tuple, list)) and item and isinstance(item[0], Appeal):
        appeal = item[0]
        score = item[1] if len(item) > 1 else None
        reasons = item[2] if len(item) > 2 else []
    elif isinstance(getattr(item, "appeal", None), Appeal):
        appeal = item.appeal
        score = getattr(item, "score", None)
        reasons = getattr(item, "reasons", [])
    if appeal is not None:
        appeal.dup_score = score
        appeal.dup_reasons = list(reasons or [])
    return appeal


def candidates(appeal: Appeal, limit: int = 5, user=None) -> list[Appeal]:
    """Likely duplicates of `appeal`, best first, never the appeal itself. Each has
    `dup_score` and `dup_reasons` (routing.duplicates.candidates)."""
    from minhu.routing.duplicates import candidates as engine

    kwargs = {"limit": limit}
    if user is not None and "user" in inspect.signature(engine).parameters:
        kwargs["user"] = user
    found = [a for a in (_as_appeal(i) for i in engine(appeal, **kwargs)) if a is not None]
    found = [a for a in found if a.pk != appeal.pk]
    # Re-read with what the panel shows, keeping the engine's order, score and reasons.
    rows = appeals_visible_to(user) if user is not None else Appeal.objects.all()
    by_id = rows.select_related("category", "lead_unit", "street").in_bulk([a.pk for a in found])
    out = []
    for a in found:
        if a.pk in by_id:
            row = by_id[a.pk]
            row.dup_score, row.dup_reasons = a.dup_score, a.dup_reasons
            out.append(row)
    return out[:limit]


def linked(appeal: Appeal, user) -> list[Appeal]:
    """The appeals linked to `appeal` (routing's AppealLink, either side) that `user` may see,
    newest first, in at most two queries."""
    from minhu.appeals.access import appeals_visible_to
    from minhu.routing.models import AppealLink

    # The ids first (two link-table index lookups in one query): "id IN (…) OR id IN (…)" with
    # subqueries makes PostgreSQL scan the whole appeals table.
    ids = list(
        AppealLink.objects.filter(from_appeal_id=appeal.pk)
        .values_list("to_appeal_id", flat=True)
        .union(
            AppealLink.objects.filter(to_appeal_id=appeal.pk).values_list(
                "from_appeal_id", flat=True
            )
        )
    )
    if not ids:
        return []
    return list(
        appeals_visible_to(user)
        .filter(pk__in=ids)
        .only("id", "code", "subject", "status", "created_at")
        .order_by("-created_at", "-id")
    )
