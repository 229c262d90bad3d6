"""Counts of the WeChat-group channel per grid, community and street: groups, members, messages
turned into work items (and repeats joined to them), items closed, answers posted back, policy
posts and problems settled inside the group. One query per table, grouped in the database."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, Sum

from minhu.appeals.models import Status

from . import access
from .models import RecordKind

LEVELS = {"grid": "grid", "community": "community", "street": "street"}
FIELDS = (
    "groups",
    "members",
    "messages",
    "items",
    "repeats",
    "closed",
    "answered",
    "policy_posts",
    "settled",
)


def counts(user, level: str = "community", *, since=None, until=None) -> list[dict]:
    """One row per unit of `level` ({unit_id, unit__name, <FIELDS>}), most messages first;
    `since`/`until` (dates) bound the messages and records, not the register."""
    key = LEVELS.get(level, "community")
    rows: dict[int | None, dict] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    names: dict[int | None, str] = {}
    groups = access.groups_visible_to(user).filter(active=True)
    for r in groups.values(f"{key}_id", f"{key}__name").annotate(
        n=Count("pk"), m=Sum("member_count")
    ):
        uid = r[f"{key}_id"]
        names[uid] = r[f"{key}__name"]
        rows[uid]["groups"] = r["n"]
        rows[uid]["members"] = r["m"] or 0
    msgs = access.messages_visible_to(user)
    if since:
        msgs = msgs.filter(created_at__date__gte=since)
    if until:
        msgs = msgs.filter(created_at__date__lte=until)
    for r in msgs.values(f"group__{key}_id", f"group__{key}__name").annotate(
        n=Count("pk"),
        repeats=Count("pk", filter=Q(duplicate_of__isnull=False)),
        closed=Count("pk", filter=Q(duplicate_of__isnull=True, appeal__status=Status.CLOSED)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
    ):
        uid = r[f"group__{key}_id"]
        names[uid] = r[f"group__{key}__name"]
        rows[uid]["messages"] = r["n"]
        rows[uid]["repeats"] = r["repeats"]
        rows[uid]["items"] = r["n"] - r["repeats"]
        rows[uid]["closed"] = r["closed"]
        rows[uid]["answered"] = r["answered"]
    recs = access.records_visible_to(user)
    if since:
        recs = recs.filter(happened_on__gte=since)
    if until:
        recs = recs.filter(happened_on__lte=until)
    for r in recs.values(f"group__{key}_id", f"group__{key}__name").annotate(
        posts=Count("pk", filter=Q(kind=RecordKind.POLICY_POST)),
        settled=Count("pk", filter=Q(kind=RecordKind.SETTLED)),
    ):
        uid = r[f"group__{key}_id"]
        names[uid] = r[f"group__{key}__name"]
        rows[uid]["policy_posts"] = r["posts"]
        rows[uid]["settled"] = r["settled"]
    out = [{"unit_id": uid, "unit__name": names.get(uid) or "", **v} for uid, v in rows.items()]
    out.sort(key=lambda r: (-r["messages"], -r["groups"], r["unit__name"]))
    return out


def totals(rows: list[dict]) -> dict:
    return {f: sum(r[f] for r in rows) for f in FIELDS}
