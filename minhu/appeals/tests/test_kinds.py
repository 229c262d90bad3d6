"""Work-item kinds and registered channels (minhu.appeals.kinds): a declared kind changes what
the one loop asks for (contact, follow-up to close, rates, steps, source), the resident appeal
keeps today's rules, and integrations are named on their events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minhu.appeals import actions, kinds
from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
from minhu.appeals.models import AppellantKind, Channel, EventKind, Satisfaction, Status
from minhu.core.errors import IllegalTransition, InvalidInput, PermissionDenied
from minhu.deadlines.models import Step
from minhu.evaluation import aggregates
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Role

from .factories import PHONE, register

DECISION = "test_decision"


@pytest.fixture
def decision_kind():
    """A kind like a meeting's decision, sourced from a Unit standing in for the meeting."""
    kind = register_kind(
        WorkKind(
            code=DECISION,
            label="议事决定",
            needs_contact=False,
            follow_up_to_close=False,
            counts_in_rates=False,
            steps=(Step.CLAIM, Step.RESOLVE),
            source_model="orgs.Unit",
        )
    )
    yield kind
    kinds._KINDS.pop(DECISION)


def _decision(org, **kw):
    return register(
        org,
        actor=org.dispatcher,
        channel=Channel.CONSULTATION,
        kind=DECISION,
        source=org.community1,
        phone="",
        **kw,
    )


def _to_replied(org, appeal):
    actions.classify(appeal, actor=org.dispatcher, category=org.category)
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)
    actions.resolve(appeal, actor=org.s1_handler, outcome_kind="on_spot", outcome="已落实决定")
    actions.reply(appeal, actor=org.s1_handler, text="议事决定已落实，感谢参与。")
    appeal.refresh_from_db()
    return appeal


@pytest.mark.django_db
def test_resident_appeal_is_the_default_kind_with_todays_rules(org):
    a = register(org)
    assert a.kind == kinds.RESIDENT_APPEAL and a.work_kind.follow_up_to_close
    assert (a.source_type, a.source_id) == ("", "")
    with pytest.raises(InvalidInput) as exc:
        register(org, phone="")
    assert exc.value.code == "required"


@pytest.mark.django_db
def test_declared_kind_needs_no_contact_and_links_its_source(org, decision_kind):
    a = _decision(org)
    assert a.kind == DECISION and a.appellant_phone == ""
    assert (a.source_type, a.source_id) == ("orgs.Unit", str(org.community1.pk))
    with pytest.raises(InvalidInput) as exc:
        register(org, actor=org.dispatcher, kind=DECISION, source=org.dispatcher)
    assert exc.value.code == "invalid_source"
    with pytest.raises(InvalidInput) as exc:
        register(org, actor=org.dispatcher, kind="no_such_kind")
    assert exc.value.details["field"] == "kind"


@pytest.mark.django_db
def test_declared_kind_runs_only_its_steps(org, decision_kind):
    a = _decision(org, appellant_kind=AppellantKind.PERSON)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    a.refresh_from_db()
    assert a.claim_due_at and a.resolve_due_at and a.contact_due_at is None
    # even with a phone number, a kind without the contact step has no contact clock
    b = register(org, actor=org.dispatcher, kind=DECISION, phone=PHONE)
    actions.dispatch(b, actor=org.dispatcher, lead_unit=org.street1)
    b.refresh_from_db()
    assert b.contact_due_at is None
    c = register(org, actor=org.dispatcher, phone=PHONE)
    actions.dispatch(c, actor=org.dispatcher, lead_unit=org.street1)
    c.refresh_from_db()
    assert c.contact_due_at is not None


@pytest.mark.django_db
def test_close_without_follow_up_only_for_kinds_that_allow_it(org, decision_kind):
    item = _to_replied(org, _decision(org))
    actions.close(item, actor=org.dispatcher)
    item.refresh_from_db()
    assert item.status == Status.CLOSED
    appeal = _to_replied(org, register(org))
    with pytest.raises(IllegalTransition) as exc:
        actions.close(appeal, actor=org.dispatcher)
    assert exc.value.code == "follow_up_required"


@pytest.mark.django_db
def test_unrated_kind_stays_out_of_the_rates(org, decision_kind):
    rated = _to_replied(org, register(org))
    unrated = _to_replied(org, _decision(org))
    for a in (rated, unrated):
        actions.record_follow_up(
            a, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.BASIC
        )
    today = timezone.localdate()
    aggregates.rebuild(today - dt.timedelta(days=2), today + dt.timedelta(days=1))
    counts = aggregates.follow_up_counts(
        today - dt.timedelta(days=2), today + dt.timedelta(days=1), "f"
    )
    assert sum(v[aggregates.FU_FIELDS.index("basic")] for v in counts.values()) == 1
    assert aggregates.check().mismatches == []


@pytest.mark.django_db
def test_registered_channel_is_accepted_and_public_flag_honoured(org):
    info = register_channel(ChannelInfo(code="test_open311", label="Open311", public=False))
    try:
        a = register(org, actor=org.dispatcher, channel=info.code)
        assert a.channel == "test_open311"
        with pytest.raises(PermissionDenied):
            register(org, channel=info.code)  # residents only through public channels
    finally:
        kinds._CHANNELS.pop(info.code)
    with pytest.raises(InvalidInput):
        register(org, actor=org.dispatcher, channel="test_open311")


def test_conflicting_declaration_is_refused():
    with pytest.raises(ValueError):
        register_kind(WorkKind(code=kinds.RESIDENT_APPEAL, label="别的", needs_contact=False))
    with pytest.raises(ValueError):
        WorkKind(code="x", label="x", steps=("nonsense",))


@pytest.mark.django_db
def test_integration_has_an_identity_on_events(org):
    client = org_actions.create_integration(
        actor=org.admin,
        username="open311-client",
        display_name="Open311 接入",
        unit=org.centre,
        role=Role.DISPATCHER,
    )
    assert client.is_integration and not client.has_usable_password()
    a = register(org, actor=client, channel=Channel.HOTLINE)
    event = a.events.get(kind=EventKind.REGISTER)
    assert event.actor == client and event.actor_name == "Open311 接入"
    assert event.data["integration"] == "open311-client"
    with pytest.raises(PermissionDenied):
        org_actions.create_integration(
            actor=org.dispatcher, username="x", display_name="x", unit=org.centre, role="x"
        )
