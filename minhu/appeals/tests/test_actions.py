"""Every verb of the loop: its happy path, the event it writes, its guards; and the table of
Status × action proving that every illegal move fails and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from minhu.appeals import actions
from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Channel,
    EventKind,
    ExtensionStatus,
    FollowUp,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Status,
    Summons,
    SummonsStatus,
    Urgency,
)
from minhu.appeals.verbs import _common as verbs_common
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.deadlines.models import DeadlineMiss, Step
from minhu.deadlines.sweep import sweep_deadlines
from minhu.notifications.models import Notification, NotificationChannel, NotificationKind

from .factories import (
    PHONE,
    at,
    build,
    dispatched,
    escalated,
    in_progress,
    png,
    register,
    replied,
    resolved,
    snapshot,
)


class Clock:
    def __init__(self, monkeypatch, start: dt.datetime):
        self.now = start
        monkeypatch.setattr(verbs_common, "_now", lambda: self.now)

    def set(self, moment: dt.datetime) -> None:
        self.now = moment

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    # Thursday 2025-01-23 10:00, just before the 2025 Spring Festival (01-28..02-04 off,
    # 01-26 Sunday a make-up working day).
    return Clock(monkeypatch, at(2025, 1, 23, 10, 0))


def last_event(appeal, kind=None) -> AppealEvent:
    qs = AppealEvent.objects.filter(appeal=appeal)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id").first()


def fresh(appeal: Appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


# --- register ------------------------------------------------------------------------------


def test_register_by_resident(org):
    a = register(org)
    assert a.status == Status.NEW and a.street == org.street1 and a.grid == org.grid1
    assert a.registered_by is None and len(a.code) == 10
    e = last_event(a)
    assert e.kind == EventKind.REGISTER and e.actor is None and e.actor_name == "群众"
    assert (e.from_status, e.to_status) == ("", Status.NEW)
    assert e.data == {"channel": Channel.H5, "attachments": 0}


def test_register_by_staff_records_actor(org):
    a = register(org, actor=org.dispatcher, channel=Channel.HOTLINE)
    assert a.registered_by == org.dispatcher
    e = last_event(a)
    assert e.actor == org.dispatcher and e.actor_name == "调度员甲"


def test_register_anonymous_drops_identity(org):
    a = register(org, appellant_kind=AppellantKind.ANONYMOUS, appellant_name="不该留")
    assert (a.appellant_name, a.appellant_phone) == ("", "")


@pytest.mark.parametrize(
    "kwargs, code, field",
    [
        ({"subject": "灯"}, "required", "subject"),
        ({"detail": "坏了"}, "required", "detail"),
        ({"phone": "12345"}, "invalid_phone", "appellant_phone"),
        ({"phone": ""}, "required", "appellant_phone"),
        ({"appellant_kind": AppellantKind.ENTERPRISE}, "required", "enterprise_name"),
        ({"urgency": "whenever"}, "invalid_choice", "urgency"),
        ({"channel": "fax"}, "invalid_choice", "channel"),
        ({"grid": "street1"}, "invalid_grid", "grid"),
        ({"latitude": 30}, "invalid_coordinates", "latitude"),
    ],
)
def test_register_rejects_bad_input(org, kwargs, code, field):
    before = Appeal.objects.count()
    with pytest.raises(InvalidInput) as exc:
        register(org, **kwargs)
    assert exc.value.code == code and exc.value.details["field"] == field
    assert Appeal.objects.count() == before and AppealEvent.objects.count() == 0


def test_residents_cannot_use_staff_channels(org):
    with pytest.raises(PermissionDenied):
        register(org, channel=Channel.HOTLINE)
    assert not Appeal.objects.exists()


def test_register_with_photo(org):
    a = register(org, attachments=[png()])
    assert a.attachments.count() == 1 and last_event(a).data["attachments"] == 1


# --- classify, merge ------------------------------------------------------------------------


def test_classify_records_changes(org):
    a = register(org)
    actions.classify(a, actor=org.dispatcher, category=org.category, urgency=Urgency.URGENT)
    a = fresh(a)
    assert a.category == org.category and a.urgency == Urgency.URGENT
    e = last_event(a)
    assert e.kind == EventKind.CLASSIFY and e.actor == org.dispatcher
    assert (e.from_status, e.to_status) == (Status.NEW, Status.NEW)
    assert e.data["changes"] == {
        "category": [None, org.category.pk],
        "urgency": [Urgency.NORMAL, Urgency.URGENT],
    }
    assert e.data["source"] == "manual"


def test_classify_without_change_writes_nothing(org):
    a = register(org)
    n = AppealEvent.objects.count()
    actions.classify(a, actor=org.dispatcher, urgency=Urgency.NORMAL)
    assert AppealEvent.objects.count() == n


def test_classify_moves_grid_and_street(org):
    a = register(org)
    actions.classify(a, actor=org.dispatcher, grid=org.grid2)
    a = fresh(a)
    assert (a.grid, a.street) == (org.grid2, org.street2)


def test_reclassifying_a_dispatched_appeal_recomputes_its_time_limits(org, clock):
    a = dispatched(org)
    a = fresh(a)
    assert a.claim_due_at == at(2025, 1, 23, 12, 0)  # 2 working hours
    actions.classify(a, actor=org.dispatcher, urgency=Urgency.URGENT)
    a = fresh(a)
    # Urgent: claim within 1 natural hour, contact within 2, resolve in 1 working day.
    assert a.claim_due_at == at(2025, 1, 23, 11, 0)
    assert a.contact_due_at == at(2025, 1, 23, 12, 0)
    assert a.resolve_due_at == at(2025, 1, 24, 17, 30)
    assert (a.current_step, a.current_due_at) == (Step.CLAIM, a.claim_due_at)
    assert set(Assignment.objects.filter(appeal=a).values_list("claim_due_at", flat=True)) == {
        a.claim_due_at
    }


def test_classify_rejects_inactive_category(org):
    org.category.active = False
    org.category.save()
    a = register(org)
    with pytest.raises(InvalidInput) as exc:
        actions.classify(a, actor=org.dispatcher, category=org.category)
    assert exc.value.code == "invalid_category"


def test_merge_into_a_duplicate(org):
    parent = register(org, subject="路灯坏了")
    child = register(org, phone="13900000000")
    actions.merge(child, actor=org.dispatcher, parent=parent, note="同一盏路灯")
    child = fresh(child)
    assert child.status == Status.MERGED and child.parent == parent
    assert child.current_due_at is None
    e = last_event(child)
    assert e.kind == EventKind.MERGED_INTO and (e.from_status, e.to_status) == (
        Status.NEW,
        Status.MERGED,
    )
    assert e.note == "同一盏路灯" and e.data == {"parent": parent.code}
    pe = last_event(parent)
    assert pe.kind == EventKind.MERGE and pe.data == {"child": child.code}
    assert fresh(parent).status == Status.NEW


def test_merge_withdraws_the_childs_assignments(org):
    parent = register(org)
    child = dispatched(org, phone="13900000000")
    actions.merge(child, actor=org.dispatcher, parent=parent)
    assert not Assignment.objects.filter(appeal=child, active=True).exists()
    assert set(Assignment.objects.filter(appeal=child).values_list("status", flat=True)) == {
        AssignmentStatus.WITHDRAWN
    }


def test_merge_guards(org):
    a, b, c = register(org), register(org), register(org)
    with pytest.raises(InvalidInput) as exc:
        actions.merge(a, actor=org.dispatcher, parent=a)
    assert exc.value.code == "merge_self"
    actions.merge(b, actor=org.dispatcher, parent=a)
    with pytest.raises(IllegalTransition) as exc:
        actions.merge(c, actor=org.dispatcher, parent=b)  # b is merged itself
    assert exc.value.code == "merge_target_closed"
    with pytest.raises(IllegalTransition) as exc:
        actions.merge(a, actor=org.dispatcher, parent=c)  # a has children
    assert exc.value.code == "merge_has_children"
    with pytest.raises(NotFound):
        actions.merge(a, actor=org.dispatcher, parent=999999)


# --- dispatch, claim, return ----------------------------------------------------------------


def test_dispatch_lead_and_assisting_units(org, clock):
    a = register(org)
    actions.dispatch(
        a,
        actor=org.dispatcher,
        lead_unit=org.street1,
        assist_units=[org.dept1, org.dept2, org.street1],
        note="请东街道牵头",
    )
    a = fresh(a)
    assert a.status == Status.DISPATCHED and a.lead_unit == org.street1
    rows = {(x.unit_id, x.role, x.status, x.round) for x in a.assignments.all()}
    assert rows == {
        (org.street1.pk, AssignmentRole.LEAD, AssignmentStatus.PENDING, 1),
        (org.dept1.pk, AssignmentRole.ASSIST, AssignmentStatus.PENDING, 1),
        (org.dept2.pk, AssignmentRole.ASSIST, AssignmentStatus.PENDING, 1),
    }
    # Working days on the official calendar: Thu 01-23 + 3 → 01-24, 01-26 (make-up), 01-27.
    assert a.claim_due_at == at(2025, 1, 23, 12, 0)
    assert a.contact_due_at == at(2025, 1, 24, 10, 0)
    assert a.resolve_due_at == at(2025, 1, 27, 17, 30)
    assert (a.current_step, a.current_due_at) == (Step.CLAIM, a.claim_due_at)
    e = last_event(a)
    assert e.kind == EventKind.DISPATCH and e.actor == org.dispatcher
    assert (e.from_status, e.to_status) == (Status.NEW, Status.DISPATCHED)
    assert e.note == "请东街道牵头" and e.unit_id == org.street1.pk
    assert e.data["lead"] == org.street1.pk and e.data["round"] == 1
    assert e.data["assist"] == [org.dept1.pk, org.dept2.pk]
    notified = set(
        Notification.objects.filter(kind=NotificationKind.DISPATCHED).values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"s1h", "s1h2", "s1l", "d1h", "d2h"}


def test_anonymous_appeals_have_no_contact_step(org, clock):
    a = dispatched(org, appellant_kind=AppellantKind.ANONYMOUS)
    a = fresh(a)
    assert a.contact_due_at is None and [s for s, _ in a.open_dues()] == ["claim", "resolve"]


@pytest.mark.parametrize("unit", ["district", "centre"])
def test_dispatch_only_to_handling_units(org, unit):
    a = register(org)
    with pytest.raises(InvalidInput) as exc:
        actions.dispatch(a, actor=org.dispatcher, lead_unit=getattr(org, unit))
    assert exc.value.code == "invalid_unit"
    with pytest.raises(InvalidInput):
        actions.dispatch(a, actor=org.dispatcher, lead_unit=None)
    assert fresh(a).status == Status.NEW


def test_claim_lead_starts_handling(org, clock):
    a = dispatched(org)
    clock.advance(minutes=30)
    asg = actions.claim(a, actor=org.s1_handler)
    a = fresh(a)
    assert a.status == Status.IN_PROGRESS and a.claimed_at == clock.now
    assert asg.status == AssignmentStatus.CLAIMED and asg.claimed_by == org.s1_handler
    # Next clock: contact the appellant (due before the resolve time).
    assert (a.current_step, a.current_due_at) == (Step.CONTACT, a.contact_due_at)
    e = last_event(a)
    assert e.kind == EventKind.CLAIM and e.actor == org.s1_handler
    assert (e.from_status, e.to_status) == (Status.DISPATCHED, Status.IN_PROGRESS)
    assert e.data == {"role": "lead", "late": False} and e.unit_id == org.street1.pk
    assert not DeadlineMiss.objects.exists()


def test_assisting_claim_keeps_status(org):
    a = dispatched(org)
    asg = actions.claim(a, actor=org.d2_handler)
    assert asg.role == AssignmentRole.ASSIST and fresh(a).status == Status.DISPATCHED
    e = last_event(a)
    assert (e.from_status, e.to_status) == (Status.DISPATCHED, Status.DISPATCHED)


def test_second_claim_conflicts(org):
    a = dispatched(org)
    actions.claim(a, actor=org.s1_handler)
    before = snapshot(a)
    with pytest.raises(Conflict) as exc:
        actions.claim(a, actor=org.s1_handler2)
    assert exc.value.code == "already_claimed" and exc.value.details["claimed_by"] == "东街道承办人"
    assert snapshot(a) == before


def test_late_claim_is_recorded(org, clock):
    a = dispatched(org)
    clock.advance(hours=5)  # claim due 12:00, claimed 15:00
    actions.claim(a, actor=org.s1_handler)
    miss = DeadlineMiss.objects.get()
    assert (miss.step, miss.unit_id, miss.due_at, miss.done_at) == (
        Step.CLAIM,
        org.street1.pk,
        at(2025, 1, 23, 12, 0),
        clock.now,
    )
    assert last_event(a).data["late"] is True


def test_late_claims_are_recorded_per_unit(org, clock):
    a = dispatched(org)  # lead street 1, dept 2 assisting; claim due 12:00
    clock.advance(hours=3)
    actions.claim(a, actor=org.d2_handler)
    actions.claim(a, actor=org.s1_handler)
    misses = DeadlineMiss.objects.filter(step=Step.CLAIM).order_by("unit_id")
    assert [(m.unit_id, m.done_at) for m in misses] == sorted(
        [(org.street1.pk, clock.now), (org.dept2.pk, clock.now)]
    )


def test_return_to_centre_and_redispatch(org, clock):
    a = dispatched(org)
    actions.claim(a, actor=org.d2_handler)
    actions.return_appeal(a, actor=org.s1_handler, reason="属于西街道辖区")
    a = fresh(a)
    assert a.status == Status.RETURNED and a.return_count == 1 and a.lead_unit is None
    assert a.current_due_at is None
    lead = Assignment.objects.get(appeal=a, role=AssignmentRole.LEAD)
    assert (lead.status, lead.active, lead.note) == (
        AssignmentStatus.RETURNED,
        False,
        "属于西街道辖区",
    )
    assert not Assignment.objects.filter(appeal=a, active=True).exists()
    e = last_event(a)
    assert e.kind == EventKind.RETURN and e.note == "属于西街道辖区"
    assert (e.from_status, e.to_status) == (Status.DISPATCHED, Status.RETURNED)
    assert Notification.objects.filter(
        kind=NotificationKind.RETURNED, recipient=org.dispatcher
    ).exists()
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street2)
    actions.claim(a, actor=org.s2_handler)
    a = fresh(a)
    assert a.status == Status.IN_PROGRESS and a.lead_unit == org.street2
    assert Assignment.objects.get(appeal=a, active=True).round == 2


def test_return_needs_a_reason_and_the_lead_unit(org):
    a = dispatched(org)
    with pytest.raises(InvalidInput):
        actions.return_appeal(a, actor=org.s1_handler, reason="不")
    with pytest.raises(PermissionDenied):
        actions.return_appeal(a, actor=org.d2_handler, reason="不是我们的事")
    assert fresh(a).status == Status.DISPATCHED


# --- extension ------------------------------------------------------------------------------


def test_extension_approved_moves_the_due_across_the_holiday(org, clock):
    a = in_progress(org)
    assert fresh(a).resolve_due_at == at(2025, 1, 27, 17, 30)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")
    assert ext.status == ExtensionStatus.PENDING and ext.unit == org.street1
    e = last_event(a)
    assert e.kind == EventKind.EXTENSION_REQUEST and e.data == {"days": 2, "extension": ext.pk}
    assert Notification.objects.filter(
        kind=NotificationKind.EXTENSION, recipient=org.dispatcher
    ).exists()
    with pytest.raises(IllegalTransition) as exc:
        actions.request_extension(a, actor=org.s1_handler, days=1, reason="再延一天")
    assert exc.value.code == "extension_pending"
    actions.decide_extension(ext, actor=org.dispatcher, approve=True, note="同意")
    a = fresh(a)
    # 2 working days after Mon 01-27: 01-28..02-04 is the Spring Festival → 02-05, 02-06.
    assert a.resolve_due_at == at(2025, 2, 6, 17, 30) and a.extension_days == 2
    e = last_event(a)
    assert e.kind == EventKind.EXTENSION_APPROVE and e.actor == org.dispatcher
    assert e.data["old_due"] == at(2025, 1, 27, 17, 30).isoformat()
    assert e.data["new_due"] == at(2025, 2, 6, 17, 30).isoformat()
    assert Notification.objects.filter(
        kind=NotificationKind.EXTENSION, recipient=org.s1_handler, title__contains="已批准"
    ).exists()
    with pytest.raises(Conflict) as exc:
        actions.decide_extension(ext, actor=org.admin, approve=False)
    assert exc.value.code == "extension_decided"


def test_denying_an_extension_needs_a_reason(org):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=3, reason="需要更多时间")
    for note in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            actions.decide_extension(ext, actor=org.dispatcher, approve=False, note=note)
        assert exc.value.code == "reason_required"
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.PENDING
    # Approving needs none.
    actions.decide_extension(ext, actor=org.dispatcher, approve=True)


def test_extension_denied_keeps_the_due(org, clock):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=3, reason="需要更多时间")
    actions.decide_extension(ext, actor=org.dispatcher, approve=False, note="时限内可完成")
    a = fresh(a)
    assert a.resolve_due_at == at(2025, 1, 27, 17, 30) and a.extension_days == 0
    e = last_event(a)
    assert e.kind == EventKind.EXTENSION_DENY and e.note == "时限内可完成"
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.DENIED and ext.decided_by == org.dispatcher


@pytest.mark.parametrize("days", [0, 31, "x", None])
def test_extension_days_are_checked(org, days):
    a = in_progress(org)
    with pytest.raises(InvalidInput) as exc:
        actions.request_extension(a, actor=org.s1_handler, days=days, reason="需要更多时间")
    assert exc.value.code == "invalid_days"


def test_pending_extension_lapses_when_the_appeal_is_returned(org):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要更多时间")
    actions.return_appeal(a, actor=org.s1_handler, reason="不属于本街道职责")
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.WITHDRAWN
    with pytest.raises(Conflict):
        actions.decide_extension(ext, actor=org.dispatcher, approve=True)


def test_decide_unknown_extension(org):
    with pytest.raises(NotFound):
        actions.decide_extension(12345, actor=org.dispatcher, approve=True)


# --- whistle, report, answer ----------------------------------------------------------------


def test_whistle_summons_departments(org, clock):
    org.d1_handler.phone = "13700000001"
    org.d1_handler.save()
    a = in_progress(org)
    w = actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept3, org.dept1], reason="需要协同"
    )
    a = fresh(a)
    assert a.status == Status.ESCALATED
    rows = list(Summons.objects.filter(whistle=w).order_by("department_id"))
    assert [s.department for s in rows] == [org.dept1, org.dept3]
    # Report within 1 working day: Thu 01-23 → Fri 01-24 17:30.
    assert {s.report_due_at for s in rows} == {at(2025, 1, 24, 17, 30)}
    assert {s.status for s in rows} == {SummonsStatus.PENDING}
    e = last_event(a)
    assert e.kind == EventKind.WHISTLE and e.actor == org.s1_leader
    assert (e.from_status, e.to_status) == (Status.IN_PROGRESS, Status.ESCALATED)
    assert e.data["departments"] == [org.dept1.pk, org.dept3.pk] and e.note == "需要协同"
    sms = Notification.objects.filter(
        kind=NotificationKind.SUMMONED, channel=NotificationChannel.SMS
    )
    assert list(sms.values_list("recipient__username", "phone")) == [("d1h", "13700000001")]
    assert set(
        Notification.objects.filter(kind=NotificationKind.SUMMONED).values_list(
            "recipient__username", flat=True
        )
    ) == {"d1h", "d3h"}


def test_whistle_guards(org):
    a = in_progress(org)
    with pytest.raises(InvalidInput):
        actions.blow_whistle(a, actor=org.s1_leader, departments=[], reason="需要协同")
    with pytest.raises(InvalidInput) as exc:
        actions.blow_whistle(a, actor=org.s1_leader, departments=[org.street2], reason="需要协同")
    assert exc.value.code == "invalid_unit"
    actions.blow_whistle(a, actor=org.s1_leader, departments=[org.dept1], reason="需要协同")
    with pytest.raises(IllegalTransition) as exc:
        actions.blow_whistle(a, actor=org.s1_leader, departments=[org.dept1], reason="再次召集")
    assert exc.value.code == "already_summoned"


def test_only_streets_and_towns_whistle(org):
    a = register(org)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.community1)
    actions.claim(a, actor=org.c1_handler)
    with pytest.raises(PermissionDenied) as exc:
        actions.blow_whistle(a, actor=org.c1_handler, departments=[org.dept1], reason="需要协同")
    assert exc.value.code == "whistle_not_allowed"


def test_report_and_answer(org, clock):
    a = escalated(org)
    clock.advance(hours=2)
    s = actions.report_summons(a, actor=org.d1_handler, share="负责拆除违建")
    assert s.status == SummonsStatus.REPORTED and s.reported_by == org.d1_handler
    assert s.reported_on_time is True
    e = last_event(a)
    assert e.kind == EventKind.REPORT and e.unit_id == org.dept1.pk
    assert e.data == {"summons": s.pk, "on_time": True} and e.note == "负责拆除违建"
    with pytest.raises(Conflict) as exc:
        actions.report_summons(a, actor=org.d1_handler, share="再报到一次")
    assert exc.value.code == "already_reported"
    actions.add_progress(a, actor=org.d1_handler, note="已进场拆除")
    s = actions.answer_summons(a, actor=org.d1_handler, answer="违建已拆除")
    assert s.status == SummonsStatus.ANSWERED and s.answer == "违建已拆除"
    assert last_event(a).kind == EventKind.ANSWER
    with pytest.raises(Conflict) as exc:
        actions.answer_summons(a, actor=org.d1_handler, answer="再反馈")
    assert exc.value.code == "already_answered"


def test_answer_before_report_is_refused(org):
    a = escalated(org)
    with pytest.raises(IllegalTransition) as exc:
        actions.answer_summons(a, actor=org.d1_handler, answer="已处理")
    assert exc.value.code == "not_reported"


def test_late_reports_are_recorded_per_department(org, clock):
    a = in_progress(org)
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept3], reason="需要两部门协同"
    )
    clock.set(at(2025, 1, 26, 9, 0))  # due Fri 01-24 17:30
    actions.report_summons(a, actor=org.d1_handler, share="负责执法")
    actions.report_summons(a, actor=org.d3_handler, share="负责协调学校")
    misses = DeadlineMiss.objects.filter(step=Step.REPORT).order_by("unit_id")
    assert [(m.unit_id, m.done_at) for m in misses] == [
        (org.dept1.pk, clock.now),
        (org.dept3.pk, clock.now),
    ]
    assert last_event(a).data["on_time"] is False


def test_cancel_summons(org, clock):
    a = in_progress(org)
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept3], reason="需要两部门协同"
    )
    by_dept = {s.department_id: s for s in Summons.objects.filter(appeal=a)}
    wrong, right = by_dept[org.dept3.pk], by_dept[org.dept1.pk]
    with pytest.raises(NotFound):  # another street does not see the appeal
        actions.cancel_summons(a, actor=org.s2_handler, summons_id=wrong.pk, reason="召集错了部门")
    with pytest.raises(PermissionDenied):  # the summoned department cannot withdraw it
        actions.cancel_summons(a, actor=org.d3_handler, summons_id=wrong.pk, reason="不归我们管")
    with pytest.raises(InvalidInput) as exc:
        actions.cancel_summons(a, actor=org.s1_leader, summons_id=wrong.pk, reason=" ")
    assert exc.value.details["field"] == "reason"
    other = escalated(org)
    with pytest.raises(NotFound):  # a summons of another appeal
        actions.cancel_summons(
            a, actor=org.s1_leader, summons_id=other.summonses.get().pk, reason="召集错了部门"
        )
    assert Summons.objects.get(pk=wrong.pk).status == SummonsStatus.PENDING

    clock.advance(hours=1)
    s = actions.cancel_summons(a, actor=org.s1_handler, summons_id=wrong.pk, reason="召集错了部门")
    assert s.status == SummonsStatus.CANCELLED and s.cancelled_at == clock.now
    assert s.cancel_reason == "召集错了部门"
    e = last_event(a)
    assert e.kind == EventKind.CANCEL_SUMMONS and e.actor == org.s1_handler
    assert e.unit_id == org.dept3.pk and e.note == "召集错了部门"
    assert e.data == {"summons": wrong.pk, "department_name": org.dept3.name}
    assert fresh(a).status == Status.ESCALATED
    told = Notification.objects.filter(kind=NotificationKind.SUMMONS_CANCELLED)
    assert list(told.values_list("recipient__username", "channel")) == [
        ("d3h", NotificationChannel.IN_APP)
    ]

    with pytest.raises(Conflict) as exc:
        actions.cancel_summons(a, actor=org.s1_leader, summons_id=wrong.pk, reason="再撤销一次")
    assert exc.value.code == "already_cancelled"
    with pytest.raises(IllegalTransition) as exc:
        actions.report_summons(a, actor=org.d3_handler, share="来晚了")
    assert exc.value.code == "summons_cancelled"

    # No deadline runs on it: the sweep after the report time records dept1 only.
    clock.set(at(2025, 1, 27, 9, 0))
    sweep_deadlines(clock.now)
    assert list(
        DeadlineMiss.objects.filter(appeal=a, step=Step.REPORT).values_list("unit_id", flat=True)
    ) == [org.dept1.pk]

    actions.report_summons(a, actor=org.d1_handler, share="负责执法")
    with pytest.raises(IllegalTransition) as exc:
        actions.cancel_summons(a, actor=org.dispatcher, summons_id=right.pk, reason="不需要了")
    assert exc.value.code == "already_reported"
    # The withdrawn department may be summoned again; the dispatch centre may withdraw too.
    actions.blow_whistle(a, actor=org.s1_leader, departments=[org.dept3], reason="还是需要教育局")
    again = Summons.objects.get(appeal=a, department=org.dept3, status=SummonsStatus.PENDING)
    actions.cancel_summons(a, actor=org.dispatcher, summons_id=again.pk, reason="已自行解决")
    actions.resolve(a, actor=org.s1_handler, outcome_kind="coordinated", outcome="已协调解决")
    assert fresh(a).status == Status.RESOLVED


def test_cancelled_summons_does_not_make_the_department_a_worker(org):
    a = escalated(org)
    s = a.summonses.get()
    actions.cancel_summons(a, actor=org.s1_leader, summons_id=s.pk, reason="召集错了部门")
    with pytest.raises(PermissionDenied):
        actions.add_progress(a, actor=org.d1_handler, note="我们也来看看")


def test_resolve_waits_for_every_summoned_department(org):
    a = escalated(org)
    with pytest.raises(IllegalTransition) as exc:
        actions.resolve(a, actor=org.s1_handler, outcome_kind="coordinated", outcome="已协调城管")
    assert exc.value.code == "summons_pending"
    actions.report_summons(a, actor=org.d1_handler, share="负责执法")
    actions.resolve(a, actor=org.s1_handler, outcome_kind="coordinated", outcome="已协调解决")
    assert fresh(a).status == Status.RESOLVED


# --- contact, progress, resolve, reply -----------------------------------------------------


def test_contact_moves_the_clock_to_resolve(org, clock):
    a = in_progress(org)
    clock.advance(hours=1)
    actions.contact_appellant(a, actor=org.s1_handler, note="已电话联系张先生")
    a = fresh(a)
    assert a.contacted_at == clock.now
    assert (a.current_step, a.current_due_at) == (Step.RESOLVE, at(2025, 1, 27, 17, 30))
    e = last_event(a)
    assert e.kind == EventKind.CONTACT and e.data == {"first": True, "on_time": True}
    actions.contact_appellant(a, actor=org.s1_handler, note="再次联系，约定上门")
    assert fresh(a).contacted_at == a.contacted_at
    assert last_event(a).data["first"] is False


def test_progress_by_working_units_only(org):
    a = in_progress(org)
    e = actions.add_progress(a, actor=org.s1_handler, note="已联系物业", attachments=[png()])
    assert (
        e.kind == EventKind.PROGRESS and e.note == "已联系物业" and len(e.data["attachments"]) == 1
    )
    with pytest.raises(PermissionDenied):  # assisting unit has not claimed yet
        actions.add_progress(a, actor=org.d2_handler, note="我们也在办")
    actions.claim(a, actor=org.d2_handler)
    assert (
        actions.add_progress(a, actor=org.d2_handler, note="住建局已派人").unit_id == org.dept2.pk
    )


@pytest.mark.parametrize("kind", [OutcomeKind.ON_SPOT, OutcomeKind.COORDINATED])
def test_resolve(org, clock, kind):
    a = in_progress(org)
    actions.resolve(
        a,
        actor=org.s1_handler,
        outcome_kind=kind,
        outcome="已更换路灯灯泡",
        measures="更换灯泡",
        responsible_office="城建科",
        responsible_person="李四",
    )
    a = fresh(a)
    assert a.status == Status.RESOLVED and a.outcome_kind == kind and a.resolved_at == clock.now
    assert (a.responsible_office, a.responsible_person) == ("城建科", "李四")
    assert a.current_due_at is None and a.current_step == ""
    e = last_event(a)
    assert e.kind == EventKind.RESOLVE and (e.from_status, e.to_status) == (
        Status.IN_PROGRESS,
        Status.RESOLVED,
    )
    assert e.data["outcome_kind"] == kind and e.data["on_time"] is True
    lead = Assignment.objects.get(appeal=a, role=AssignmentRole.LEAD)
    assert lead.status == AssignmentStatus.DONE


def test_long_term_needs_roadmap_timetable_and_explanation(org):
    a = in_progress(org)
    base = {"outcome_kind": OutcomeKind.LONG_TERM, "outcome": "纳入明年道路改造计划"}
    full = {
        "roadmap": "立项、设计、施工",
        "timetable": "2026年6月前完工",
        "explanation": "需财政立项",
    }
    for missing in full:
        with pytest.raises(InvalidInput) as exc:
            actions.resolve(
                a, actor=org.s1_handler, **base, **{k: v for k, v in full.items() if k != missing}
            )
        assert exc.value.details["field"] == missing
    assert fresh(a).status == Status.IN_PROGRESS
    actions.resolve(a, actor=org.s1_handler, **base, **full)
    a = fresh(a)
    assert (a.roadmap, a.timetable, a.explanation) == tuple(full.values())


def test_late_resolve_records_resolve_and_contact_misses(org, clock):
    a = in_progress(org)
    clock.set(at(2025, 2, 5, 9, 0))
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    misses = {m.step: m for m in DeadlineMiss.objects.filter(appeal=a)}
    assert misses[Step.RESOLVE].due_at == at(2025, 1, 27, 17, 30)
    assert misses[Step.RESOLVE].done_at == clock.now
    assert misses[Step.CONTACT].done_at is None  # never contacted
    assert last_event(a).data["on_time"] is False


def test_resolve_withdraws_a_pending_extension(org):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要更多时间")
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.WITHDRAWN


def test_reply_tells_every_merged_appellant(org):
    a = in_progress(org)
    child = register(org, phone="13900000000")
    actions.merge(child, actor=org.dispatcher, parent=a)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    a, child = fresh(a), fresh(child)
    assert a.status == Status.REPLIED and a.reply.startswith("您好")
    assert child.status == Status.MERGED and child.replied_at
    assert child.reply == actions.merged_reply(child, a) and "已修好路灯" in child.reply
    e = last_event(a)
    assert e.kind == EventKind.REPLY and (e.from_status, e.to_status) == (
        Status.RESOLVED,
        Status.REPLIED,
    )
    assert last_event(child).data == {"via_parent": a.code}
    assert last_event(child).note == child.reply
    sms = Notification.objects.filter(kind=NotificationKind.REPLIED, channel="sms")
    assert set(sms.values_list("phone", flat=True)) == {PHONE, "13900000000"}


def test_reply_needs_real_text(org):
    a = resolved(org)
    with pytest.raises(InvalidInput):
        actions.reply(a, actor=org.s1_handler, text="已办")


# --- follow-up, rating, reopen, close -------------------------------------------------------


def test_satisfied_follow_up_then_close(org):
    a = replied(org)
    fu = actions.record_follow_up(
        a,
        actor=org.callback,
        contacted=True,
        solved=True,
        satisfaction=Satisfaction.BASIC,
        comment="还行",
    )
    assert (fu.source, fu.unit, fu.round) == (FollowUpSource.CALLBACK, org.street1, 0)
    a = fresh(a)
    assert a.status == Status.REPLIED and a.satisfaction == Satisfaction.BASIC and a.solved
    e = last_event(a)
    assert e.kind == EventKind.FOLLOW_UP and e.actor == org.callback
    assert e.data["satisfaction"] == "basic" and e.data["contacted"] is True
    actions.close(a, actor=org.dispatcher, note="办结")
    a = fresh(a)
    assert a.status == Status.CLOSED and a.closed_at
    e = last_event(a)
    assert e.kind == EventKind.CLOSE and (e.from_status, e.to_status) == (
        Status.REPLIED,
        Status.CLOSED,
    )


@pytest.mark.parametrize(
    "solved, satisfaction", [(True, Satisfaction.UNSATISFIED), (False, Satisfaction.BASIC)]
)
def test_unsolved_or_unsatisfied_reopens(org, clock, solved, satisfaction):
    a = replied(org)
    clock.set(at(2025, 1, 24, 10, 0))
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=solved, satisfaction=satisfaction
    )
    a = fresh(a)
    assert a.status == Status.IN_PROGRESS and a.reopen_count == 1
    # A new resolve limit from the reopening: Fri 01-24 + 3 → 01-26, 01-27, 02-05.
    assert a.resolve_due_at == at(2025, 2, 5, 17, 30) and a.resolved_at is None
    e = last_event(a)
    assert e.kind == EventKind.REOPEN and e.data["automatic"] is True
    assert e.data["reopen_count"] == 1 and e.actor == org.callback
    lead = Assignment.objects.get(appeal=a, role=AssignmentRole.LEAD)
    assert lead.status == AssignmentStatus.CLAIMED
    # One notice per member of the lead unit (the reopening's), not two.
    in_app = Notification.objects.filter(kind=NotificationKind.BADLY_RATED, channel="in_app")
    assert sorted(in_app.values_list("recipient__username", flat=True)) == ["s1h", "s1h2", "s1l"]


def test_reopens_stop_at_the_limit(org, settings):
    settings.MINHU_MAX_REOPENS = 1
    a = replied(org)
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=False, satisfaction=Satisfaction.UNSATISFIED
    )
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="再次维修路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已再次维修，请查看。")
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=False, satisfaction=Satisfaction.UNSATISFIED
    )
    a = fresh(a)
    assert a.status == Status.REPLIED and a.reopen_count == 1
    actions.close(a, actor=org.dispatcher)  # a leader's call now; closable
    assert fresh(a).status == Status.CLOSED


def test_follow_up_unreached_three_times_allows_close(org):
    a = replied(org)
    with pytest.raises(InvalidInput):
        actions.record_follow_up(a, actor=org.callback, contacted=True)
    for _ in range(3):
        with pytest.raises(IllegalTransition) as exc:
            actions.close(a, actor=org.dispatcher)
        assert exc.value.code == "follow_up_required"
        fu = actions.record_follow_up(
            a, actor=org.callback, reached=False, satisfaction="satisfied"
        )
        assert (fu.reached, fu.satisfaction) == (False, "")
    actions.close(a, actor=org.dispatcher)
    assert fresh(a).status == Status.CLOSED


def test_resident_rates_through_the_code(org):
    a = replied(org)
    with pytest.raises(NotFound):
        actions.rate(a.code, phone="13000000000", satisfaction=Satisfaction.SATISFIED)
    fu = actions.rate(a.code.lower(), phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    assert fu.source == FollowUpSource.RESIDENT and fu.solved is True
    e = last_event(a)
    assert e.kind == EventKind.RATE and e.actor is None and e.actor_name == "群众"
    with pytest.raises(IllegalTransition) as exc:
        actions.rate(a.code, phone=PHONE, satisfaction=Satisfaction.UNSATISFIED)
    assert exc.value.code == "already_rated"
    actions.close(a, actor=org.dispatcher)  # the rating counts as the follow-up


def test_merged_appellant_rates_the_parent(org):
    a = in_progress(org)
    child = register(org, phone="13900000000")
    actions.merge(child, actor=org.dispatcher, parent=a)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(child.code, phone="13900000000", satisfaction=Satisfaction.UNSATISFIED)
    a = fresh(a)
    assert a.status == Status.IN_PROGRESS and a.reopen_count == 1
    fu = FollowUp.objects.get()
    assert fu.appeal == a and fu.rated_appeal == child
    assert last_event(a, EventKind.RATE).data["via_child"] == child.code


def test_manual_reopen_is_counted(org):
    a = resolved(org)
    actions.reopen(a, actor=org.dispatcher, reason="办理结果与诉求不符")
    a = fresh(a)
    assert a.status == Status.IN_PROGRESS and a.reopen_count == 1
    e = last_event(a)
    assert e.kind == EventKind.REOPEN and e.data["automatic"] is False
    assert (e.from_status, e.to_status) == (Status.RESOLVED, Status.IN_PROGRESS)


def test_close_closes_merged_children(org):
    a = in_progress(org)
    child = register(org, phone="13900000000")
    actions.merge(child, actor=org.dispatcher, parent=a)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(a.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    actions.rate(child.code, phone="13900000000", satisfaction=Satisfaction.SATISFIED)
    actions.close(a, actor=org.dispatcher)
    child = fresh(child)
    assert child.closed_at and child.status == Status.MERGED
    assert last_event(child).kind == EventKind.CLOSE


# --- attachments, edits ---------------------------------------------------------------------


def test_attachments(org):
    a = in_progress(org)
    saved = actions.add_attachments(a, actor=org.s1_handler, files=[png(), png("b.png")])
    assert len(saved) == 2 and all(x.by_handler for x in saved)
    assert last_event(a).data["attachments"] == [x.pk for x in saved]
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(InvalidInput) as exc:
        actions.add_attachments(
            a, actor=org.s1_handler, files=[SimpleUploadedFile("x.png", b"not an image")]
        )
    assert exc.value.code == "invalid_file_type"
    with pytest.raises(InvalidInput):
        actions.add_attachments(a, actor=org.s1_handler, files=[])


def test_edit_details(org):
    a = register(org)
    actions.edit_details(a, actor=org.dispatcher, subject="路灯不亮（东门）", address="东门口")
    a = fresh(a)
    assert (a.subject, a.address) == ("路灯不亮（东门）", "东门口")
    e = last_event(a)
    assert e.kind == EventKind.EDIT and e.data["fields"] == ["address", "subject"]
    assert e.data["old"]["subject"] == "路灯不亮"
    n = AppealEvent.objects.count()
    actions.edit_details(a, actor=org.dispatcher, subject="路灯不亮（东门）")  # no change
    assert AppealEvent.objects.count() == n
    with pytest.raises(InvalidInput) as exc:
        actions.edit_details(a, actor=org.dispatcher, status=Status.CLOSED)
    assert exc.value.code == "not_editable"
    with pytest.raises(InvalidInput):
        actions.edit_details(a, actor=org.dispatcher, appellant_phone="123")
    with pytest.raises(PermissionDenied):
        actions.edit_details(a, actor=org.s1_handler, subject="改个标题")
    assert fresh(a).subject == "路灯不亮（东门）"
    # The old phone is kept masked in the event: units read events but may not see phones.
    old_phone = fresh(a).appellant_phone
    actions.edit_details(a, actor=org.dispatcher, appellant_phone="13900001111")
    assert fresh(a).appellant_phone == "13900001111"
    assert last_event(a).data["old"]["appellant_phone"] == old_phone[:3] + "****" + old_phone[-4:]


# --- the table: Status × action -------------------------------------------------------------

ALL = set(Status.values)
OPEN_HANDLING = {Status.IN_PROGRESS, Status.ESCALATED}


def _rate(o, a, other):
    return actions.rate(a.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)


# action -> (call(org, appeal, other_appeal), statuses where it is legal, {status: error class})
TABLE = {
    "classify": (
        lambda o, a, _: actions.classify(
            a, actor=o.dispatcher, category=o.top_category, urgency=Urgency.URGENT
        ),
        {Status.NEW, Status.RETURNED, Status.DISPATCHED},
        {},
    ),
    "merge": (
        lambda o, a, other: actions.merge(a, actor=o.dispatcher, parent=other),
        {Status.NEW, Status.RETURNED, Status.DISPATCHED},
        {},
    ),
    "dispatch": (
        lambda o, a, _: actions.dispatch(a, actor=o.dispatcher, lead_unit=o.street2),
        {Status.NEW, Status.RETURNED, Status.DISPATCHED},
        {},
    ),
    "claim": (
        lambda o, a, _: actions.claim(a, actor=o.s1_handler),
        {Status.DISPATCHED},
        {Status.IN_PROGRESS: Conflict, Status.ESCALATED: Conflict},
    ),
    "return": (
        lambda o, a, _: actions.return_appeal(a, actor=o.s1_handler, reason="不属于本街道职责"),
        {Status.DISPATCHED, Status.IN_PROGRESS},
        {},
    ),
    "request_extension": (
        lambda o, a, _: actions.request_extension(
            a, actor=o.s1_handler, days=2, reason="需要更多时间"
        ),
        OPEN_HANDLING,
        {},
    ),
    "whistle": (
        lambda o, a, _: actions.blow_whistle(
            a, actor=o.s1_leader, departments=[o.dept3], reason="需要教育局配合"
        ),
        OPEN_HANDLING,
        {},
    ),
    "report": (
        lambda o, a, _: actions.report_summons(a, actor=o.d1_handler, share="负责执法"),
        {Status.ESCALATED},
        {},
    ),
    "answer": (
        lambda o, a, _: actions.answer_summons(a, actor=o.d1_handler, answer="已处理完毕"),
        set(),  # the escalated fixture's summons is not reported yet
        {Status.IN_PROGRESS: PermissionDenied},  # dept1 was never summoned there
    ),
    "contact": (
        lambda o, a, _: actions.contact_appellant(a, actor=o.s1_handler, note="已电话联系"),
        OPEN_HANDLING,
        {},
    ),
    "progress": (
        lambda o, a, _: actions.add_progress(a, actor=o.s1_handler, note="已联系物业"),
        OPEN_HANDLING,
        {},
    ),
    "resolve": (
        lambda o, a, _: actions.resolve(
            a, actor=o.s1_handler, outcome_kind="on_spot", outcome="已修好路灯"
        ),
        {Status.IN_PROGRESS},  # escalated: the summoned department has not reported
        {},
    ),
    "reply": (
        lambda o, a, _: actions.reply(a, actor=o.s1_handler, text="您好，路灯已修好，感谢反映。"),
        {Status.RESOLVED},
        {},
    ),
    "follow_up": (
        lambda o, a, _: actions.record_follow_up(
            a, actor=o.callback, contacted=True, solved=True, satisfaction="satisfied"
        ),
        {Status.REPLIED},
        {},
    ),
    "rate": (_rate, {Status.REPLIED}, {}),
    "reopen": (
        lambda o, a, _: actions.reopen(a, actor=o.dispatcher, reason="结果与诉求不符"),
        {Status.RESOLVED, Status.REPLIED},
        {},
    ),
    "close": (
        lambda o, a, _: actions.close(a, actor=o.dispatcher),
        set(),  # never without a follow-up (the replied fixture has none)
        {},
    ),
}


@pytest.mark.parametrize("status", sorted(ALL))
@pytest.mark.parametrize("action", sorted(TABLE))
def test_status_action_table(org, status, action):
    # Registered by the city management bureau's handler, so that every actor of the table
    # (including dept1, before it is summoned) can see the appeal: the refusal is about the
    # status, not about visibility. (A unit registers through a unit channel: a visit.)
    a = build(org, status, actor=org.d1_handler, channel=Channel.VISIT)
    other = register(org, subject="另一个诉求", phone="13900000001")
    call, legal, errors = TABLE[action]
    before = snapshot(a)
    if status in legal:
        call(org, a, other)
        assert AppealEvent.objects.count() > before.events
        return
    error = errors.get(status, IllegalTransition)
    with pytest.raises(error) as exc:
        call(org, a, other)
    assert exc.value.message  # a clear, human message
    assert snapshot(a) == before
