"""The figures seed 000 reports, per room and per street: meetings held, members' visits
(走访调研人次), topics, decisions done / open / overdue. One grouped query per figure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from minhu.appeals.models import Status

from .models import Decision, Meeting, MeetingStatus, MemberVisit, Room, Topic

DONE_STATUSES = {Status.RESOLVED, Status.REPLIED, Status.CLOSED}
WORKING_STATUSES = {
    Status.NEW,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.RETURNED,
}


@dataclass
class RoomFigures:
    meetings_held: int = 0
    meetings_planned: int = 0
    visits: int = 0  # 走访调研人次: one per member visit
    households: int = 0
    topics: int = 0
    decisions: int = 0
    done: int = 0
    open: int = 0
    overdue: int = 0


def figures(rooms: QuerySet[Room], today: dt.date | None = None) -> dict[int, RoomFigures]:
    """{room id: figures}. A decision is done when its work item is resolved, replied or
    closed; overdue when it is still open after its due date (the meeting's 完成期限) or its
    work item's own resolve deadline."""
    today = today or timezone.localdate()
    now = timezone.now()
    ids = list(rooms.values_list("pk", flat=True))
    out: dict[int, RoomFigures] = defaultdict(RoomFigures)
    for r in (
        Meeting.objects.filter(room_id__in=ids)
        .values("room_id")
        .annotate(
            held=Count("pk", filter=Q(status=MeetingStatus.HELD)),
            planned=Count("pk", filter=Q(status=MeetingStatus.PLANNED)),
        )
    ):
        out[r["room_id"]].meetings_held = r["held"]
        out[r["room_id"]].meetings_planned = r["planned"]
    for r in (
        MemberVisit.objects.filter(member__room_id__in=ids)
        .values("member__room_id")
        .annotate(n=Count("pk"), h=Sum("households"))
    ):
        out[r["member__room_id"]].visits = r["n"]
        out[r["member__room_id"]].households = r["h"] or 0
    for r in Topic.objects.filter(room_id__in=ids).values("room_id").annotate(n=Count("pk")):
        out[r["room_id"]].topics = r["n"]
    late = Q(due_on__lt=today) | Q(item__resolve_due_at__lt=now)
    open_q = Q(item__status__in=WORKING_STATUSES)
    for r in (
        Decision.objects.filter(meeting__room_id__in=ids)
        .values("meeting__room_id")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(item__status__in=DONE_STATUSES)),
            open=Count("pk", filter=open_q),
            overdue=Count("pk", filter=open_q & late),
        )
    ):
        f = out[r["meeting__room_id"]]
        f.decisions, f.done, f.open, f.overdue = r["n"], r["done"], r["open"], r["overdue"]
    return {pk: out[pk] for pk in ids}


def by_street(rooms: QuerySet[Room], today: dt.date | None = None) -> list[tuple[str, RoomFigures]]:
    """Figures summed per street/town (a community's room counts in its street)."""
    per_room = figures(rooms, today)
    totals: dict[str, RoomFigures] = defaultdict(RoomFigures)
    for room in rooms.select_related("unit", "unit__parent"):
        unit = room.unit
        street = unit if unit.kind in ("street", "town") else unit.parent
        t, f = totals[street.name if street else unit.name], per_room[room.pk]
        for name in RoomFigures.__dataclass_fields__:
            setattr(t, name, getattr(t, name) + getattr(f, name))
    return sorted(totals.items())


def overview_tile(user) -> list | None:
    """The overview's 有事好商量 tile: the user's rooms summed (None without rooms)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from .access import rooms_visible_to

    ids = list(rooms_visible_to(user).values_list("pk", flat=True)[:5000])
    if not ids:
        return None  # one query for users without rooms
    per_room = figures(Room.objects.filter(pk__in=ids))
    t = RoomFigures()
    for f in per_room.values():
        for name in RoomFigures.__dataclass_fields__:
            setattr(t, name, getattr(t, name) + getattr(f, name))
    url = reverse("consultation:rooms")
    return [
        (_("议事室"), len(per_room), url),
        (_("召开会议"), t.meetings_held, url),
        (_("走访调研人次"), t.visits, url),
        (_("议定事项完成"), t.done, url),
        (_("议定事项办理中"), t.open, url),
        (_("议定事项超期"), t.overdue, url),
    ]
