"""有事好商量 end to end through the verbs: a topic raised by a resident, a meeting convened
(in-app notice and SMS in the outbox), held with minutes and a photo, decisions to a property
company and to the owners that run through the appeals loop until the resident rates them; the
room's figures; scope ("not found" outside)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from minhu.appeals import actions as appeal_actions
from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Satisfaction, Status
from minhu.consultation import actions, stats
from minhu.consultation.access import access_room, rooms_visible_to
from minhu.consultation.models import MemberRole, TopicSource, TopicStatus
from minhu.core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.notifications.models import Notification
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Role, UnitKind
from minhu.orgs.testing import make_user

RESIDENT = "13800002001"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buf, format="JPEG")
    return SimpleUploadedFile("meeting.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def room(org):
    org.prop = org_actions.create_unit(
        actor=org.admin,
        name="安居物业",
        code="p-anju",
        kind=UnitKind.PROPERTY,
        parent=org.community1,
    )
    org.prop_handler = make_user("ph", org.prop, Role.HANDLER, phone="13700009999")
    r = actions.create_room(
        actor=org.c1_handler, unit=org.community1, name="东一社区议事室", address="幸福路1号"
    )
    org.members = [
        actions.add_member(
            r, actor=org.c1_handler, name="王委员", role=MemberRole.COMMITTEE, phone="13700001001"
        ),
        actions.add_member(r, actor=org.c1_handler, name="李代表", role=MemberRole.DEPUTY),
        actions.add_member(r, actor=org.c1_handler, name="张楼长", role=MemberRole.REPRESENTATIVE),
    ]
    return r


def _held(org, room, **topic_kw):
    topic = actions.raise_topic(
        room,
        actor=org.c1_handler,
        title="3号楼楼道灯长期不亮",
        detail="3号楼楼道灯坏了几周，老人晚上上下楼危险。",
        raised_by_name="赵阿姨",
        raised_by_phone=RESIDENT,
        **topic_kw,
    )
    meeting = actions.convene(
        topic,
        actor=org.c1_handler,
        starts_at=timezone.now() + dt.timedelta(hours=20),
        invited_units=[org.prop, org.grid1],
        invited_members=org.members,
    )
    actions.hold(
        meeting,
        actor=org.c1_handler,
        minutes="各方协商：物业重新布线，业主自购灯泡。",
        attended_members=org.members[:2],
        photos=[_photo()],
    )
    return topic, meeting


def test_topic_to_meeting_to_decisions_followed_to_the_rating(org, room):
    topic, meeting = _held(org, room)
    # The invitation: in-app and SMS for the property company's handler, SMS for the member
    # with a phone number.
    notes = Notification.objects.filter(kind="meeting")
    assert {(n.channel, n.recipient_id) for n in notes if n.recipient_id} == {
        ("in_app", org.prop_handler.pk),
        ("sms", org.prop_handler.pk),
    }
    assert [n.phone for n in notes if n.recipient_id is None] == ["13700001001"]
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.photos.count() == 1
    assert meeting.attended_members.count() == 2

    with pytest.raises(IllegalTransition):
        actions.hold(meeting, actor=org.c1_handler, minutes="再开一次会议")
    due = timezone.localdate() + dt.timedelta(days=7)
    wiring = actions.decide(
        meeting, actor=org.c1_handler, text="物业公司三日内重新布线", unit=org.prop, due_on=due
    )
    bulbs = actions.decide(
        meeting,
        actor=org.c1_handler,
        text="业主分摊购买楼道灯泡",
        owners_representative="张楼长",
        due_on=due,
    )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED

    item = wiring.item
    assert item.kind == "meeting_decision" and item.channel == "meeting"
    assert item.status == Status.DISPATCHED and item.lead_unit_id == org.prop.pk
    assert (item.source_type, item.source_id) == ("consultation.Decision", str(wiring.pk))
    assert item.appellant_phone == RESIDENT and item.resolve_due_at is not None
    assert bulbs.item.lead_unit_id == org.community1.pk and bulbs.party_kind == "owners"
    # The property company sees its decision's item, not the owners'.
    assert set(appeals_visible_to(org.prop_handler)) == {item}

    appeal_actions.claim(item, actor=org.prop_handler)
    appeal_actions.resolve(
        item, actor=org.prop_handler, outcome_kind="coordinated", outcome="已重新布线"
    )
    appeal_actions.reply(item, actor=org.prop_handler, text="赵阿姨您好，楼道灯已恢复。")
    # The resident rates it with the tracking code and phone (as on the H5 page).
    item.refresh_from_db()
    appeal_actions.rate(item.code, phone=RESIDENT, satisfaction=Satisfaction.SATISFIED, solved=True)
    item.refresh_from_db()
    assert item.status in (Status.REPLIED, Status.CLOSED)
    assert item.events.filter(kind="rate").exists()

    f = stats.figures(rooms_visible_to(org.c1_handler))[room.pk]
    assert (f.meetings_held, f.topics, f.decisions, f.done, f.open, f.overdue) == (1, 1, 2, 1, 1, 0)
    # Overdue once the agreed date has passed and the item is still open.
    f = stats.figures(rooms_visible_to(org.c1_handler), today=due + dt.timedelta(days=1))[room.pk]
    assert (f.done, f.open, f.overdue) == (1, 1, 1)
    [(street, total)] = stats.by_street(rooms_visible_to(org.admin))
    assert street == "东街道" and total.decisions == 2


def test_validation_and_state_rules(org, room):
    with pytest.raises(InvalidInput) as e:
        actions.create_room(actor=org.c1_handler, unit=org.grid1, name="网格议事点")
    assert e.value.code == "invalid_unit"
    with pytest.raises(InvalidInput) as e:
        actions.create_room(actor=org.c1_handler, unit=org.community2, name="别人的议事室")
    assert e.value.code == "invalid_unit"
    with pytest.raises(InvalidInput) as e:
        actions.raise_topic(room, actor=org.c1_handler, title="议题", detail="太短")
    assert e.value.details["field"] == "detail"
    with pytest.raises(InvalidInput) as e:
        actions.raise_topic(
            room,
            actor=org.c1_handler,
            title="来自诉求",
            detail="来自诉求的议题",
            source=TopicSource.APPEAL,
        )
    assert e.value.details["field"] == "appeal"
    topic = actions.raise_topic(
        room, actor=org.c1_handler, title="快递柜", detail="小区没有快递柜，丢件多。"
    )
    with pytest.raises(InvalidInput) as e:
        actions.convene(topic, actor=org.c1_handler, starts_at=timezone.now())
    assert e.value.code == "required"  # nobody invited
    meeting = actions.convene(
        topic, actor=org.c1_handler, starts_at=timezone.now(), invited_members=org.members[:1]
    )
    with pytest.raises(IllegalTransition):
        actions.decide(
            meeting,
            actor=org.c1_handler,
            text="还没开会就决定",
            unit=org.prop,
            due_on=timezone.localdate(),
        )
    actions.cancel_meeting(meeting, actor=org.c1_handler, reason="改期")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN
    _, held = _held(org, room)
    with pytest.raises(InvalidInput) as e:
        actions.decide(
            held,
            actor=org.c1_handler,
            text="昨天就该完成的事项",
            unit=org.prop,
            due_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert e.value.code == "invalid_date"
    with pytest.raises(InvalidInput) as e:
        actions.decide(
            held, actor=org.c1_handler, text="业主自己负责的事项", due_on=timezone.localdate()
        )
    assert e.value.details["field"] == "owners_representative"


def test_scope_rooms_are_not_found_outside(org, room):
    assert set(rooms_visible_to(org.s1_leader)) == {room}  # the street leader: its communities
    assert set(rooms_visible_to(org.s1_handler)) == {room}  # the street: its communities' rooms
    assert set(rooms_visible_to(org.dispatcher)) == {room}
    for outsider in (org.s2_handler, org.grid1_worker, org.prop_handler, org.d1_handler):
        assert not rooms_visible_to(outsider).exists()
        with pytest.raises(NotFound):
            access_room(outsider, room.pk)
        with pytest.raises(NotFound):
            actions.raise_topic(room, actor=outsider, title="越权议题", detail="不该看到的议事室")
    with pytest.raises(PermissionDenied):
        actions.add_member(room, actor=org.district_leader, name="区长", role=MemberRole.OTHER)


def test_members_visits_counted(org, room):
    today = timezone.localdate()
    actions.record_member_visit(
        org.members[0], actor=org.c1_handler, visited_on=today, households=8
    )
    actions.record_member_visit(
        org.members[1], actor=org.c1_handler, visited_on=today, households=3
    )
    with pytest.raises(InvalidInput):
        actions.record_member_visit(
            org.members[1], actor=org.c1_handler, visited_on=today + dt.timedelta(days=1)
        )
    with pytest.raises(NotFound):
        actions.record_member_visit(org.members[0], actor=org.s2_handler, visited_on=today)
    f = stats.figures(rooms_visible_to(org.c1_handler))[room.pk]
    assert (f.visits, f.households) == (2, 11)


def test_a_decision_due_on_sets_its_item_deadline(org):
    from minhu.consultation import actions as c_actions
    from minhu.deadlines.calendar import work_window

    room = c_actions.create_room(actor=org.c1_handler, unit=org.community1, name="议事室")
    member = c_actions.add_member(room, actor=org.c1_handler, name="王委员", role="committee")
    topic = c_actions.raise_topic(
        room, actor=org.c1_handler, title="楼道灯不亮", detail="3号楼楼道灯坏了几周。"
    )
    meeting = c_actions.convene(
        topic,
        actor=org.c1_handler,
        starts_at=timezone.now() + dt.timedelta(hours=1),
        invited_members=[member],
    )
    c_actions.hold(meeting, actor=org.c1_handler, minutes="协商确定由社区负责更换。")
    due = timezone.localdate() + dt.timedelta(days=20)
    d = c_actions.decide(
        meeting, actor=org.c1_handler, text="社区二十日内更换线路", unit=org.community1, due_on=due
    )
    local = timezone.localtime(d.item.resolve_due_at)
    assert local.date() == due and local.time() == work_window()[1]
