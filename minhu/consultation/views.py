"""Staff pages of 有事好商量: the rooms with their figures, and one room's members, topics,
meetings and decisions with the forms of the verbs. Every read is scoped (access.py)."""

from __future__ import annotations

import datetime as dt
import mimetypes

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals.access import PHONE_ROLES, mask_phone
from minhu.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import HANDLING_KINDS, OUTSIDE_KINDS, Role, Unit
from minhu.orgs.scope import scope_of
from minhu.web.permissions import domain_page

from . import actions, stats
from .access import MANAGER_ROLES, access_meeting, access_room, access_topic, rooms_visible_to
from .models import Decision, Meeting, MeetingPhoto, MemberRole, TopicSource

staff_page = domain_page


def _back(room_id: int, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("consultation:room", args=[room_id])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _run(request, room_id: int, fn, ok: str, anchor: str = ""):
    try:
        fn()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, ok)
    return _back(room_id, anchor)


@staff_page
def rooms_view(request):
    rooms = rooms_visible_to(request.user).select_related("unit").order_by("unit__path", "name")
    q = (request.GET.get("q") or "").strip()
    if q:
        rooms = rooms.filter(name__icontains=q) | rooms.filter(unit__name__icontains=q)
    page = Paginator(rooms, 30).get_page(request.GET.get("page"))
    figs = stats.figures(rooms.filter(pk__in=[r.pk for r in page]))
    rows = [(r, figs[r.pk]) for r in page]
    return render(
        request,
        "consultation/rooms.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "streets": stats.by_street(rooms_visible_to(request.user)),
        },
    )


@staff_page
def room_view(request, pk: int):
    room = access_room(request.user, pk)
    decisions = Prefetch(
        "decisions", Decision.objects.select_related("unit", "item").order_by("id")
    )
    meetings = (
        Meeting.objects.filter(room=room)
        .select_related("topic")
        .prefetch_related(
            decisions, "invited_units", "invited_members", "attended_members", "photos"
        )
        .order_by("-starts_at")
    )
    street = room.unit if room.unit.kind in ("street", "town") else room.unit.parent
    area = [room.unit.pk] + ([street.pk] if street else [])
    parties = Unit.objects.filter(active=True, kind__in=HANDLING_KINDS).exclude(kind="grid")
    outside = parties.filter(kind__in=OUTSIDE_KINDS, parent_id__in=area) | parties.filter(
        kind__in=OUTSIDE_KINDS, paired_communities=room.unit
    )
    topics = room.topics.order_by("-created_at")
    tq = (request.GET.get("tq") or "").strip()[:50]
    if tq:
        topics = topics.filter(Q(title__icontains=tq) | Q(detail__icontains=tq))
    topic_page = Paginator(topics, 20).get_page(request.GET.get("page"))
    members = list(room.members.filter(active=True).annotate(n_visits=Count("visits")))
    for m in members:
        m.shown_phone = (
            m.phone if may_see_member_phones(request.user, room) else mask_phone(m.phone)
        )
    return render(
        request,
        "consultation/room.html",
        {
            "room": room,
            "members": members,
            "topics": topic_page,
            "tq": tq,
            "meetings": meetings[:50],
            "figures": stats.figures(rooms_visible_to(request.user).filter(pk=room.pk))[room.pk],
            "can_manage": scope_of(request.user).has_role(*MANAGER_ROLES),
            "outside_parties": outside.distinct().order_by("kind", "name"),
            "units": parties.exclude(kind__in=OUTSIDE_KINDS).order_by("path"),
            "roles": MemberRole.choices,
            "sources": [(v, lbl) for v, lbl in TopicSource.choices if v != TopicSource.APPEAL],
            "today": timezone.localdate(),
        },
    )


def may_see_member_phones(user, room) -> bool:
    """Members' numbers in full for the staff who organise the room's meetings (its own
    street's or community's handlers and leaders) and the phone-handling roles; masked for
    everyone else who may open the room."""
    scope = scope_of(user)
    if scope.has_role(*PHONE_ROLES):
        return True
    return bool(scope.roles_in(room.unit_id) & {Role.HANDLER, Role.UNIT_LEADER})


@staff_page
def new_topic_view(request):
    """A topic from an appeal or a visit's problem: the appeal page links here."""
    from minhu.appeals.access import access_appeal

    raw = request.GET.get("appeal") or request.POST.get("appeal") or ""
    if not raw.isdigit():
        raise Http404()
    appeal = access_appeal(request.user, int(raw))
    rooms = list(rooms_visible_to(request.user).select_related("unit").order_by("unit__path"))
    source = TopicSource.VISIT if appeal.kind == "visit_problem" else TopicSource.APPEAL
    if request.method == "POST":
        p = request.POST
        room = p.get("room") or ""
        try:
            topic = actions.raise_topic(
                int(room) if room.isdigit() else 0,
                actor=request.user,
                title=p.get("title", ""),
                detail=p.get("detail", ""),
                source=source,
                appeal=appeal,
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("议题已登记"))
            return _back(topic.room_id, f"t{topic.pk}")
    near = {appeal.grid.parent_id if appeal.grid_id else None, appeal.street_id}
    default = next((r.pk for r in rooms if r.unit_id in near), rooms[0].pk if rooms else None)
    return render(
        request,
        "consultation/new_topic.html",
        {
            "appeal": appeal,
            "rooms": rooms,
            "default_room": default,
            "source": TopicSource(source).label,
            "can_manage": scope_of(request.user).has_role(*MANAGER_ROLES),
        },
    )


@staff_page
def photo_view(request, pk: int):
    """A meeting photo, for those who may open its room (uploads are not served directly)."""
    photo = (
        MeetingPhoto.objects.filter(pk=pk, meeting__room__in=rooms_visible_to(request.user))
        .select_related("meeting")
        .first()
    )
    if photo is None or not photo.file:
        raise Http404()
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404()
    kind = mimetypes.guess_type(photo.file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _units(ids) -> list[Unit]:
    ids = [int(i) for i in ids if str(i).isdigit()]
    return list(Unit.objects.filter(pk__in=ids))


@staff_page
@require_POST
def add_member_view(request, pk: int):
    p = request.POST
    return _run(
        request,
        pk,
        lambda: actions.add_member(
            pk,
            actor=request.user,
            name=p.get("name", ""),
            role=p.get("role", ""),
            phone=p.get("phone", ""),
        ),
        _("已增加成员"),
        "members",
    )


@staff_page
@require_POST
def visit_view(request, pk: int):
    p = request.POST

    def go():
        visited = parse_date(p.get("visited_on") or "")
        if visited is None:
            raise InvalidInput(_("请填写走访日期"), code="required", field="visited_on")
        households = p.get("households") or "1"
        if not households.isdigit():
            raise InvalidInput(_("走访户数应为整数"), code="invalid_number", field="households")
        member = p.get("member") or "0"
        actions.record_member_visit(
            int(member) if member.isdigit() else 0,
            actor=request.user,
            visited_on=visited,
            households=int(households),
            note=p.get("note", ""),
        )

    return _run(request, pk, go, _("已记录走访调研"), "members")


@staff_page
@require_POST
def topic_view(request, pk: int):
    p = request.POST
    return _run(
        request,
        pk,
        lambda: actions.raise_topic(
            pk,
            actor=request.user,
            title=p.get("title", ""),
            detail=p.get("detail", ""),
            source=p.get("source", TopicSource.RESIDENT),
            raised_by_name=p.get("raised_by_name", ""),
            raised_by_phone=p.get("raised_by_phone", ""),
        ),
        _("议题已登记"),
        "topics",
    )


@staff_page
@require_POST
def convene_view(request, pk: int):
    topic = access_topic(request.user, pk)
    p = request.POST

    def go():
        starts = parse_datetime(p.get("starts_at") or "")
        if starts is None:
            raise InvalidInput(_("请填写会议时间"), code="required", field="starts_at")
        members = list(
            topic.room.members.filter(pk__in=[int(i) for i in p.getlist("members") if i.isdigit()])
        )
        actions.convene(
            topic,
            actor=request.user,
            starts_at=starts,
            invited_units=_units(p.getlist("units")),
            invited_members=members,
        )

    return _run(request, topic.room_id, go, _("会议已召集，已通知参会各方"), "meetings")


@staff_page
@require_POST
def hold_view(request, pk: int):
    meeting = access_meeting(request.user, pk)
    p = request.POST

    def go():
        attended = list(
            meeting.room.members.filter(
                pk__in=[int(i) for i in p.getlist("attended") if i.isdigit()]
            )
        )
        actions.hold(
            meeting,
            actor=request.user,
            minutes=p.get("minutes", ""),
            attended_members=attended,
            attendance_note=p.get("attendance_note", ""),
            photos=request.FILES.getlist("photos"),
        )

    return _run(request, meeting.room_id, go, _("已记录会议召开情况"), f"m{meeting.pk}")


@staff_page
@require_POST
def cancel_view(request, pk: int):
    meeting = access_meeting(request.user, pk)
    return _run(
        request,
        meeting.room_id,
        lambda: actions.cancel_meeting(
            meeting, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("会议已取消"),
        "meetings",
    )


@staff_page
@require_POST
def decide_view(request, pk: int):
    meeting = access_meeting(request.user, pk)
    p = request.POST

    def go():
        due = parse_date(p.get("due_on") or "")
        if due is None:
            raise InvalidInput(_("请填写完成期限"), code="required", field="due_on")
        party = p.get("party") or ""
        unit = None
        if party != "owners":
            found = _units([party])
            if not found:
                raise InvalidInput(_("请选择责任方"), code="required", field="party")
            unit = found[0]
        actions.decide(
            meeting,
            actor=request.user,
            text=p.get("text", ""),
            due_on=due,
            unit=unit,
            owners_representative=p.get("owners_representative", ""),
        )

    return _run(request, meeting.room_id, go, _("已形成决定并派发给责任方"), f"m{meeting.pk}")


def default_start() -> dt.datetime:
    return timezone.localtime() + dt.timedelta(days=1)
