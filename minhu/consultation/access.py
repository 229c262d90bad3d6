"""Scoped reads of consultation rooms and everything in them: a street or community sees its
own rooms (a street also its communities'), district-wide roles all; the rest is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from minhu.core.errors import NotFound, PermissionDenied
from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of

from .models import Meeting, Room, Topic

MANAGER_ROLES = {Role.HANDLER, Role.UNIT_LEADER, Role.ADMIN, Role.DISPATCHER}


def rooms_visible_to(user) -> QuerySet[Room]:
    scope = scope_of(user)
    if scope.all_units:
        return Room.objects.all()
    ids = list(scope.unit_ids - scope.grid_ids)
    if not ids:
        return Room.objects.none()
    return Room.objects.filter(Q(unit_id__in=ids) | Q(unit__parent_id__in=ids))


def access_room(user, room_id, *, for_write: bool = False) -> Room:
    qs = Room.objects.all() if user is None else rooms_visible_to(user)
    if for_write:
        qs = Room.objects.select_for_update().filter(pk__in=qs.filter(pk=room_id).values("pk"))
    try:
        room = qs.select_related("unit").get(pk=room_id)
    except (Room.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write:
        require_manager(user)
    return room


def require_manager(user) -> None:
    """Staff who organise consultation (or the system: user None)."""
    if user is not None and not scope_of(user).has_role(*MANAGER_ROLES):
        raise PermissionDenied(_("只有街道、社区工作人员可以组织议事"))


def topics_visible_to(user) -> QuerySet[Topic]:
    return Topic.objects.filter(room__in=rooms_visible_to(user))


def meetings_visible_to(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(room__in=rooms_visible_to(user))


def access_topic(user, topic_id, *, for_write: bool = False) -> Topic:
    qs = Topic.objects.all() if user is None else topics_visible_to(user)
    if for_write:
        qs = Topic.objects.select_for_update().filter(pk__in=qs.filter(pk=topic_id).values("pk"))
    try:
        topic = qs.select_related("room", "room__unit").get(pk=topic_id)
    except (Topic.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write:
        require_manager(user)
    return topic


def access_meeting(user, meeting_id, *, for_write: bool = False) -> Meeting:
    qs = Meeting.objects.all() if user is None else meetings_visible_to(user)
    if for_write:
        qs = Meeting.objects.select_for_update().filter(
            pk__in=qs.filter(pk=meeting_id).values("pk")
        )
    try:
        meeting = qs.select_related("room", "room__unit", "topic").get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if for_write:
        require_manager(user)
    return meeting
