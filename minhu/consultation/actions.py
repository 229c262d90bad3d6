"""Verbs of 有事好商量: rooms, members, members' visits, topics, meetings and decisions.

Each verb is one transaction: lock (through the scoped access helpers: "not found" outside),
check, save with update_fields, append a ConsultationEvent. A decision registers its work item
(kind `meeting_decision`) through the appeals verbs and dispatches it to the party named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.access import access_appeal
from minhu.appeals.attachments import check_total, prepare_image
from minhu.appeals.events import actor_name
from minhu.appeals.models import Appeal
from minhu.core.errors import IllegalTransition, InvalidInput
from minhu.core.phones import is_phone
from minhu.deadlines.calendar import work_window
from minhu.deadlines.models import Step
from minhu.notifications.models import Notification, NotificationChannel
from minhu.notifications.outbox import notify_units
from minhu.orgs.models import HANDLING_KINDS, Unit, UnitKind

from .access import access_meeting, access_room, access_topic, require_manager, rooms_visible_to
from .models import (
    ConsultationEvent,
    Decision,
    DecisionParty,
    Meeting,
    MeetingPhoto,
    MeetingStatus,
    Member,
    MemberRole,
    MemberVisit,
    Room,
    Topic,
    TopicSource,
    TopicStatus,
)

KIND = "meeting_decision"
CHANNEL = "meeting"
NOTICE_KIND = "meeting"
ROOM_UNIT_KINDS = {UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE}


def _now() -> dt.datetime:
    return timezone.now()


def _text(value: str, field: str, label: str, *, min_len: int = 1, max_len: int = 200) -> str:
    value = (value or "").strip()
    if len(value) < min_len:
        raise InvalidInput(_("请填写%(label)s") % {"label": label}, code="required", field=field)
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s不能超过%(n)s个字") % {"label": label, "n": max_len},
            code="too_long",
            field=field,
        )
    return value


def _phone(value: str, field: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if value and not is_phone(value):
        raise InvalidInput(_("联系电话格式不正确"), code="invalid_phone", field=field)
    return value


def _event(kind: str, room: Room, actor, *, topic=None, meeting=None, note="", **data):
    return ConsultationEvent.objects.create(
        kind=kind,
        room=room,
        topic=topic,
        meeting=meeting,
        actor=actor,
        actor_name=actor_name(actor),
        note=note,
        data=data,
    )


# --- rooms and members -----------------------------------------------------------------------


@transaction.atomic
def create_room(*, actor, unit: Unit, name: str, address: str = "") -> Room:
    require_manager(actor)
    if unit is None or unit.kind not in ROOM_UNIT_KINDS:
        raise InvalidInput(_("议事室应设在街道、镇、社区或村"), code="invalid_unit", field="unit")
    if actor is not None:
        from minhu.orgs.scope import scope_of

        scope = scope_of(actor)
        if not scope.all_units and unit.pk not in scope.unit_ids:
            raise InvalidInput(_("只能在本单位设立议事室"), code="invalid_unit", field="unit")
    room = Room.objects.create(
        unit=unit,
        name=_text(name, "name", _("名称"), max_len=100),
        address=(address or "").strip()[:200],
    )
    _event(ConsultationEvent.Kind.ROOM, room, actor)
    return room


@transaction.atomic
def add_member(room: Room | int, *, actor, name: str, role: str, phone: str = "") -> Member:
    room = access_room(actor, getattr(room, "pk", room), for_write=True)
    if role not in MemberRole.values:
        raise InvalidInput(_("请选择成员身份"), code="invalid_choice", field="role")
    member = Member.objects.create(
        room=room,
        name=_text(name, "name", _("姓名"), max_len=50),
        role=role,
        phone=_phone(phone, "phone"),
    )
    _event(ConsultationEvent.Kind.MEMBER, room, actor, member=member.pk)
    return member


@transaction.atomic
def record_member_visit(
    member: Member | int,
    *,
    actor,
    visited_on: dt.date,
    households: int = 1,
    note: str = "",
) -> MemberVisit:
    """走访调研: a member's visit among residents (counted as 走访调研人次)."""
    member_id = getattr(member, "pk", member)
    member = Member.objects.filter(
        pk=member_id, room__in=Room.objects.all() if actor is None else rooms_visible_to(actor)
    ).first()
    if member is None:
        from minhu.core.errors import NotFound

        raise NotFound()
    room = access_room(actor, member.room_id, for_write=True)
    if visited_on is None or visited_on > timezone.localdate(_now()):
        raise InvalidInput(_("走访日期不能晚于今天"), code="invalid_date", field="visited_on")
    if not 1 <= int(households) <= 1000:
        raise InvalidInput(_("走访户数应在1到1000之间"), code="invalid_number", field="households")
    visit = MemberVisit.objects.create(
        member=member, visited_on=visited_on, households=int(households), note=(note or "")[:2000]
    )
    _event(ConsultationEvent.Kind.VISIT, room, actor, member=member.pk, households=households)
    return visit


# --- topics ----------------------------------------------------------------------------------


@transaction.atomic
def raise_topic(
    room: Room | int,
    *,
    actor,
    title: str,
    detail: str,
    source: str = TopicSource.RESIDENT,
    appeal: Appeal | None = None,
    raised_by_name: str = "",
    raised_by_phone: str = "",
) -> Topic:
    """A topic for the room: raised by residents, taken from an appeal, or from a visit. The
    resident who raised it is the appellant of its decisions' work items (they follow and rate
    them on the H5 pages)."""
    room = access_room(actor, getattr(room, "pk", room), for_write=True)
    if source not in TopicSource.values:
        raise InvalidInput(_("议题来源不正确"), code="invalid_choice", field="source")
    if source == TopicSource.APPEAL and appeal is None:
        raise InvalidInput(_("请选择来源诉求"), code="required", field="appeal")
    if source == TopicSource.RESIDENT:
        appeal = None
    if appeal is not None:  # from an appeal, or from a visit's problem (its work item)
        if actor is not None:
            appeal = access_appeal(actor, appeal.pk)
        raised_by_name = raised_by_name or appeal.appellant_name
        raised_by_phone = raised_by_phone or appeal.appellant_phone
    topic = Topic.objects.create(
        room=room,
        title=_text(title, "title", _("议题"), min_len=2),
        detail=_text(detail, "detail", _("情况说明"), min_len=5, max_len=5000),
        source=source,
        appeal=appeal,
        raised_by_name=(raised_by_name or "").strip()[:50],
        raised_by_phone=_phone(raised_by_phone, "raised_by_phone"),
        created_by=actor,
    )
    _event(ConsultationEvent.Kind.TOPIC, room, actor, topic=topic, source=source)
    return topic


@transaction.atomic
def drop_topic(topic: Topic | int, *, actor, reason: str) -> Topic:
    topic = access_topic(actor, getattr(topic, "pk", topic), for_write=True)
    if topic.status != TopicStatus.OPEN:
        raise IllegalTransition(_("只有待议的议题可以不予议事"), code="illegal_transition")
    reason = _text(reason, "reason", _("理由"), min_len=2, max_len=500)
    topic.status = TopicStatus.DROPPED
    topic.save(update_fields=["status"])
    _event(ConsultationEvent.Kind.DROP, topic.room, actor, topic=topic, note=reason)
    return topic


# --- meetings --------------------------------------------------------------------------------


def _sms_members(members: Sequence[Member], title: str, body: str) -> int:
    rows = [
        Notification(
            kind=NOTICE_KIND,
            channel=NotificationChannel.SMS,
            phone=m.phone,
            title=title,
            body=body,
        )
        for m in members
        if m.phone
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def convene(
    topic: Topic | int,
    *,
    actor,
    starts_at: dt.datetime,
    invited_units: Sequence[Unit] = (),
    invited_members: Sequence[Member] = (),
) -> Meeting:
    """召集: a meeting on a topic in its room; the invited units get an in-app notice and an
    SMS, the invited members an SMS (through the outbox, sent after commit by `minhu deliver`)."""
    topic = access_topic(actor, getattr(topic, "pk", topic), for_write=True)
    if topic.status not in (TopicStatus.OPEN, TopicStatus.SCHEDULED):
        raise IllegalTransition(_("该议题已议定或不予议事"), code="illegal_transition")
    if starts_at is None:
        raise InvalidInput(_("请填写会议时间"), code="required", field="starts_at")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at < _now() - dt.timedelta(days=30):
        raise InvalidInput(_("会议时间不能早于30天前"), code="invalid_date", field="starts_at")
    units = list(invited_units)
    bad = [u for u in units if not u.active or u.kind not in HANDLING_KINDS]
    if bad:
        raise InvalidInput(
            _("「%(name)s」不能被邀请参会") % {"name": bad[0].name},
            code="invalid_unit",
            field="invited_units",
        )
    members = list(invited_members)
    if any(m.room_id != topic.room_id or not m.active for m in members):
        raise InvalidInput(
            _("只能邀请本议事室的成员"), code="invalid_member", field="invited_members"
        )
    if not units and not members:
        raise InvalidInput(_("请至少邀请一个单位或成员"), code="required", field="invited_units")
    meeting = Meeting.objects.create(
        room=topic.room, topic=topic, starts_at=starts_at, convened_by=actor
    )
    meeting.invited_units.set(units)
    meeting.invited_members.set(members)
    topic.status = TopicStatus.SCHEDULED
    topic.save(update_fields=["status"])
    when = timezone.localtime(starts_at)
    title = _("议事会通知：%(topic)s") % {"topic": topic.title[:60]}
    body = _("%(when)s 在%(room)s召开议事会，议题：%(topic)s。请准时参加。") % {
        "when": f"{when:%m-%d %H:%M}",
        "room": topic.room.name,
        "topic": topic.title[:60],
    }
    notify_units(NOTICE_KIND, None, [u.pk for u in units], title, body, sms=True)
    _sms_members(members, title, body)
    _event(
        ConsultationEvent.Kind.CONVENE,
        topic.room,
        actor,
        topic=topic,
        meeting=meeting,
        units=[u.pk for u in units],
        members=[m.pk for m in members],
    )
    return meeting


@transaction.atomic
def hold(
    meeting: Meeting | int,
    *,
    actor,
    minutes: str,
    attended_members: Sequence[Member] = (),
    attendance_note: str = "",
    photos: Sequence = (),
) -> Meeting:
    """召开: record attendance, minutes and photos (checked, bounded, metadata stripped)."""
    meeting = access_meeting(actor, getattr(meeting, "pk", meeting), for_write=True)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition(_("只有已召集的会议可以记录召开"), code="illegal_transition")
    minutes = _text(minutes, "minutes", _("会议纪要"), min_len=5, max_len=10000)
    members = list(attended_members)
    if any(m.room_id != meeting.room_id for m in members):
        raise InvalidInput(_("出席成员不属于本议事室"), code="invalid_member", field="attended")
    check_total(photos)
    prepared = [prepare_image(f) for f in photos]
    meeting.status = MeetingStatus.HELD
    meeting.minutes = minutes
    meeting.attendance_note = (attendance_note or "").strip()[:300]
    meeting.held_at = _now()
    meeting.save(update_fields=["status", "minutes", "attendance_note", "held_at"])
    meeting.attended_members.set(members)
    for p in prepared:
        MeetingPhoto.objects.create(meeting=meeting, file=p.file, name=p.label, size=p.size)
    _event(
        ConsultationEvent.Kind.HOLD,
        meeting.room,
        actor,
        topic=meeting.topic,
        meeting=meeting,
        attended=len(members),
        photos=len(prepared),
    )
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting | int, *, actor, reason: str) -> Meeting:
    meeting = access_meeting(actor, getattr(meeting, "pk", meeting), for_write=True)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition(_("只有已召集的会议可以取消"), code="illegal_transition")
    reason = _text(reason, "reason", _("取消原因"), min_len=2, max_len=500)
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    topic = Topic.objects.select_for_update().get(pk=meeting.topic_id)
    if (
        topic.status == TopicStatus.SCHEDULED
        and not topic.meetings.filter(status=MeetingStatus.PLANNED).exists()
    ):
        topic.status = TopicStatus.OPEN
        topic.save(update_fields=["status"])
    _event(
        ConsultationEvent.Kind.CANCEL,
        meeting.room,
        actor,
        topic=topic,
        meeting=meeting,
        note=reason,
    )
    return meeting


@transaction.atomic
def decide(
    meeting: Meeting | int,
    *,
    actor,
    text: str,
    due_on: dt.date,
    unit: Unit | None = None,
    owners_representative: str = "",
    grid: Unit | None = None,
) -> Decision:
    """A decision: who does what by when. `unit` is the party (an outside party or a unit); with
    no unit, "the owners" do it, represented by `owners_representative`, and the room's street or
    community follows it. The work item is registered (kind meeting_decision, the topic's
    resident as its appellant) and dispatched to that party at once: the meeting's decision is
    the dispatch."""
    meeting = access_meeting(actor, getattr(meeting, "pk", meeting), for_write=True)
    if meeting.status != MeetingStatus.HELD:
        raise IllegalTransition(_("会议召开后才能形成决定"), code="illegal_transition")
    text = _text(text, "text", _("议定事项"), min_len=5, max_len=2000)
    if due_on is None:
        raise InvalidInput(_("请填写完成期限"), code="required", field="due_on")
    if due_on < timezone.localdate(meeting.held_at or _now()):
        raise InvalidInput(_("完成期限不能早于会议日期"), code="invalid_date", field="due_on")
    if unit is None:
        owners_representative = _text(
            owners_representative, "owners_representative", _("业主代表"), max_len=50
        )
        party_kind, unit = DecisionParty.OWNERS, meeting.room.unit
    else:
        party_kind, owners_representative = DecisionParty.UNIT, ""
        if not unit.active or unit.kind not in HANDLING_KINDS:
            raise InvalidInput(
                _("「%(name)s」不能承办议定事项") % {"name": unit.name},
                code="invalid_unit",
                field="unit",
            )
    if grid is not None and grid.kind != UnitKind.GRID:
        raise InvalidInput(_("所选单位不是网格"), code="invalid_grid", field="grid")
    topic = Topic.objects.select_for_update().get(pk=meeting.topic_id)
    decision = Decision.objects.create(
        meeting=meeting,
        text=text,
        party_kind=party_kind,
        unit=unit,
        owners_representative=owners_representative,
        due_on=due_on,
    )
    who = owners_representative and _("业主（代表：%(name)s）") % {"name": owners_representative}
    detail = _("议事会议定：%(text)s\n责任方：%(who)s；完成期限：%(due)s。\n议题：%(topic)s") % {
        "text": text,
        "who": who or unit.name,
        "due": due_on.isoformat(),
        "topic": topic.title,
    }
    item = appeal_actions.register_appeal(
        actor=actor,
        kind=KIND,
        source=decision,
        channel=CHANNEL,
        subject=text[:60],
        detail=detail,
        appellant_name=topic.raised_by_name,
        appellant_phone=topic.raised_by_phone,
        grid=grid or (topic.appeal.grid if topic.appeal_id else None),
        address=meeting.room.address,
        category=topic.appeal.category if topic.appeal_id else None,
    )
    appeal_actions.dispatch(item, actor=None, lead_unit=unit, note=_("议事会议定事项，请按期办理"))
    item.refresh_from_db()
    decision.item = item
    decision.save(update_fields=["item"])
    if topic.status != TopicStatus.DECIDED:
        topic.status = TopicStatus.DECIDED
        topic.save(update_fields=["status"])
    _event(
        ConsultationEvent.Kind.DECIDE,
        meeting.room,
        actor,
        topic=topic,
        meeting=meeting,
        decision=decision.pk,
        item=item.pk,
        unit=unit.pk,
    )
    return decision


def decision_due_at(item, step: str, start: dt.datetime) -> dt.datetime | None:
    """The resolve deadline of a decision's work item: the end of the working day of its
    完成期限 (`due_on`), as the meeting decided; the claim step follows the policies."""
    if step != Step.RESOLVE or not item.source_id:
        return None
    due_on = Decision.objects.filter(pk=item.source_id).values_list("due_on", flat=True).first()
    if due_on is None:
        return None
    end = work_window()[1]
    return timezone.make_aware(dt.datetime.combine(due_on, end))
