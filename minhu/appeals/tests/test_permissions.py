"""Who may do what: every role × every action on an appeal of street 1 (own unit) — a handler
of street 2, a community, an unsummoned department are the "other unit" — and who sees which
appeals. A refusal is PermissionDenied (visible, not yours) or NotFound (not visible at all), and
changes nothing."""

from __future__ import annotations

import pytest

from minhu.appeals import actions
from minhu.appeals.access import access_appeal, appeals_visible_to
from minhu.appeals.models import AppellantKind, Channel, Satisfaction, Status
from minhu.core.errors import NotFound, PermissionDenied
from minhu.orgs.models import Membership, Role, User
from minhu.orgs.testing import make_user

from .factories import (
    PHONE,
    dispatched,
    escalated,
    in_progress,
    png,
    register,
    replied,
    resolved,
    snapshot,
)

USERS = [
    "dispatcher",
    "callback",
    "admin",
    "district_leader",
    "s1_handler",  # street handler, own street
    "s2_handler",  # street handler, other street
    "s1_leader",  # street leader
    "c1_handler",  # community handler (under street 1, not assigned)
    "d1_handler",  # department: summoned in the escalated scenarios only
    "d2_handler",  # department: assisting unit
    "d3_handler",  # department: never involved
    "grid1_worker",  # grid worker of the appeal's grid
]
DISTRICT_WIDE = {"dispatcher", "callback", "admin", "district_leader"}
CENTRE = {"dispatcher", "admin"}
STREET1 = {"s1_handler", "s1_leader"}


def _new(org):
    return register(org)


def _pending_extension(org):
    a = in_progress(org)
    return a, actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")


def _reported(org):
    a = escalated(org)
    actions.report_summons(a, actor=org.d1_handler, share="负责执法")
    return a


def _rated(org):
    a = replied(org)
    actions.rate(a.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    return a


def _pending_summons(appeal) -> int | None:
    from minhu.appeals.models import Summons, SummonsStatus

    return (
        Summons.objects.filter(appeal=appeal, status=SummonsStatus.PENDING)
        .values_list("pk", flat=True)
        .first()
    )


def _link(appeal, *, actor, other):
    from minhu.routing.actions import link_appeals

    return link_appeals(appeal, actor=actor, other=other)


# action -> (scenario builder, call(user, org, appeal, extra), allowed users, centre-only guard)
MATRIX = {
    "classify": (
        _new,
        lambda u, o, a, x: actions.classify(a, actor=u, category=o.category),
        CENTRE,
    ),
    "merge": (
        _new,
        lambda u, o, a, x: actions.merge(a, actor=u, parent=x),
        CENTRE,
    ),
    "dispatch": (
        _new,
        lambda u, o, a, x: actions.dispatch(a, actor=u, lead_unit=o.street1),
        CENTRE,
    ),
    "edit_details": (
        _new,
        lambda u, o, a, x: actions.edit_details(a, actor=u, subject="路灯不亮（东门）"),
        CENTRE,
    ),
    "claim": (dispatched, lambda u, o, a, x: actions.claim(a, actor=u), STREET1 | {"d2_handler"}),
    "return": (
        dispatched,
        lambda u, o, a, x: actions.return_appeal(a, actor=u, reason="不属于本单位职责"),
        STREET1,
    ),
    "request_extension": (
        in_progress,
        lambda u, o, a, x: actions.request_extension(a, actor=u, days=2, reason="需要采购"),
        STREET1,
    ),
    "decide_extension": (
        _pending_extension,
        lambda u, o, a, x: actions.decide_extension(x, actor=u, approve=True),
        CENTRE,
    ),
    "whistle": (
        in_progress,
        lambda u, o, a, x: actions.blow_whistle(
            a, actor=u, departments=[o.dept3], reason="需要教育局配合"
        ),
        STREET1,
    ),
    "report": (
        escalated,
        lambda u, o, a, x: actions.report_summons(a, actor=u, share="负责执法"),
        {"d1_handler"},
    ),
    "answer": (
        _reported,
        lambda u, o, a, x: actions.answer_summons(a, actor=u, answer="已处理完毕"),
        {"d1_handler"},
    ),
    "contact": (
        in_progress,
        lambda u, o, a, x: actions.contact_appellant(a, actor=u, note="已电话联系"),
        STREET1,
    ),
    "progress": (
        in_progress,
        lambda u, o, a, x: actions.add_progress(a, actor=u, note="已联系物业"),
        STREET1,
    ),
    "attach": (
        in_progress,
        lambda u, o, a, x: actions.add_attachments(a, actor=u, files=[png()]),
        STREET1,
    ),
    "resolve": (
        in_progress,
        lambda u, o, a, x: actions.resolve(
            a, actor=u, outcome_kind="on_spot", outcome="已修好路灯"
        ),
        STREET1,
    ),
    "reply": (
        resolved,
        lambda u, o, a, x: actions.reply(a, actor=u, text="您好，路灯已修好，感谢您的反映。"),
        STREET1,
    ),
    "follow_up": (
        replied,
        lambda u, o, a, x: actions.record_follow_up(
            a, actor=u, contacted=True, solved=True, satisfaction="satisfied"
        ),
        CENTRE | {"callback"},
    ),
    "reopen": (
        resolved,
        lambda u, o, a, x: actions.reopen(a, actor=u, reason="结果与诉求不符"),
        CENTRE,
    ),
    "close": (_rated, lambda u, o, a, x: actions.close(a, actor=u), CENTRE),
    "cancel_summons": (
        escalated,
        lambda u, o, a, x: actions.cancel_summons(
            a, actor=u, summons_id=_pending_summons(a), reason="召集错了部门"
        ),
        CENTRE | STREET1,
    ),
    "link": (
        _new,
        lambda u, o, a, x: _link(a, actor=u, other=x),
        CENTRE,
    ),
}
# Checked before the appeal is even looked up: a refusal is PermissionDenied for everyone.
ROLE_FIRST = {
    "link",
    "classify",
    "merge",
    "dispatch",
    "edit_details",
    "decide_extension",
    "reopen",
    "close",
    "follow_up",
}


def visible_to(action: str) -> set[str]:
    """Who sees the scenario's appeal (street 1, grid 1; lead street 1, dept 2 assisting once
    dispatched; dept 1 summoned in the escalated scenarios)."""
    seen = DISTRICT_WIDE | STREET1 | {"grid1_worker", "c1_handler"}  # c1: its community's grid
    if MATRIX[action][0] is not _new:
        seen |= {"d2_handler"}
    if action in ("report", "answer", "cancel_summons"):
        seen |= {"d1_handler"}
    return seen


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(org, action, who):
    build, call, allowed = MATRIX[action]
    built = build(org)
    appeal, extra = built if isinstance(built, tuple) else (built, None)
    if action in ("merge", "link"):
        extra = register(org, subject="路灯坏了", phone="13900000000")
    user = getattr(org, who)
    before = snapshot(appeal)
    if who in allowed:
        call(user, org, appeal, extra)
        assert snapshot(appeal).events > before.events
        return
    if action in ROLE_FIRST or who in visible_to(action):
        expected = PermissionDenied
    else:
        expected = NotFound
    with pytest.raises(expected):
        call(user, org, appeal, extra)
    assert snapshot(appeal) == before


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("dispatcher", True),
        ("admin", True),
        ("grid1_worker", True),
        ("s1_handler", True),
        ("s1_leader", True),
        ("c1_handler", True),
        ("d3_handler", True),
        ("callback", False),
        ("district_leader", False),
    ],
)
def test_who_registers(org, who, allowed):
    user = getattr(org, who)
    if allowed:
        a = register(org, actor=user, channel=Channel.VISIT)
        assert a.registered_by == user
        assert appeals_visible_to(user).filter(pk=a.pk).exists()
    else:
        with pytest.raises(PermissionDenied):
            register(org, actor=user, channel=Channel.VISIT)


@pytest.mark.parametrize("who", ["grid1_worker", "s1_handler", "s1_leader", "d3_handler"])
def test_unit_staff_register_through_their_channels_only(org, who):
    """The centre registers through every channel; unit staff only through the channels
    declared for them (a visit, a WeChat group, a meeting, a questionnaire), never the
    12345 hotline: one rule (guards.channels_for) for the verb, the web form and the API."""
    from minhu.appeals import guards
    from minhu.appeals.kinds import channel_values
    from minhu.appeals.models import Appeal
    from minhu.appeals.tests.factories import client_for, error_code

    user = getattr(org, who)
    assert set(guards.channels_for(org.dispatcher)) == set(channel_values())
    mine = guards.channels_for(user)
    assert Channel.VISIT in mine and Channel.HOTLINE not in mine and Channel.H5 not in mine
    for channel in (Channel.HOTLINE, Channel.H5, Channel.DEPUTY):
        with pytest.raises(PermissionDenied) as exc:
            register(org, actor=user, channel=channel)
        assert exc.value.code == "channel_not_allowed"
    body = {
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区门口的路灯坏了一周，晚上很黑",
        "appellant_name": "张三",
        "appellant_phone": PHONE,
        "grid": org.grid1.pk,
    }
    response = client_for(user).post("/api/v1/appeals/", body, format="json")
    assert response.status_code == 403 and error_code(response) == "channel_not_allowed"
    assert not Appeal.objects.exists()
    response = client_for(user).post(
        "/api/v1/appeals/", {**body, "channel": "visit"}, format="json"
    )
    assert response.status_code == 201
    # The web form offers the same channels.
    import re

    from django.test import Client

    web = Client()
    web.force_login(user)
    page = web.get("/appeals/new/").content.decode()
    select = re.search(r'<select name="channel".*?</select>', page, re.S).group(0)
    assert set(re.findall(r'<option value="([^"]+)"', select)) == set(mine)


def test_community_lead_own_and_parent_units(org):
    """A community's handler acts for it; the street above sees it but does not act for it."""
    a = register(org)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.community1)
    before = snapshot(a)
    with pytest.raises(PermissionDenied):
        actions.claim(a, actor=org.s1_leader)
    with pytest.raises(PermissionDenied):
        actions.claim(a, actor=org.s1_handler)
    with pytest.raises(NotFound):
        actions.claim(a, actor=org.s2_handler)
    assert snapshot(a) == before
    actions.claim(a, actor=org.c1_handler)
    assert a.__class__.objects.get(pk=a.pk).status == Status.IN_PROGRESS


def test_inactive_membership_grants_nothing(org):
    a = dispatched(org)
    Membership.objects.filter(user=org.s1_handler).update(active=False)
    user = User.objects.get(pk=org.s1_handler.pk)  # a fresh object: no cached scope
    with pytest.raises(NotFound):
        actions.claim(a, actor=user)
    assert not appeals_visible_to(user).exists()


def test_phone_resident_verbs_need_the_right_phone(org):
    a = replied(org)
    before = snapshot(a)
    with pytest.raises(NotFound):
        actions.rate(a.code, phone="13000000000", satisfaction="satisfied")
    with pytest.raises(NotFound):
        actions.rate("NOSUCHCODE", phone=PHONE, satisfaction="satisfied")
    assert snapshot(a) == before


def test_anonymous_appeal_rated_by_code_alone(org):
    a = register(org, appellant_kind=AppellantKind.ANONYMOUS)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(a, actor=org.s1_handler)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已修好路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(a.code, satisfaction="satisfied")
    assert a.follow_ups.count() == 1


# --- what each role sees --------------------------------------------------------------------


@pytest.fixture
def spread(org):
    """Appeals spread over the district."""
    s = {}
    s["A"] = in_progress(org)  # grid 1 / street 1, lead street 1, dept 2 assisting
    actions.blow_whistle(s["A"], actor=org.s1_leader, departments=[org.dept1], reason="需要执法")
    s["B"] = register(org, grid="grid2")
    actions.dispatch(s["B"], actor=org.dispatcher, lead_unit=org.street2)
    s["C"] = register(org, grid=None)
    actions.dispatch(s["C"], actor=org.dispatcher, lead_unit=org.community1)
    s["D"] = register(org, grid=None)
    actions.dispatch(s["D"], actor=org.dispatcher, lead_unit=org.dept3)
    s["E"] = register(org, actor=org.grid1_worker, grid="grid2", channel=Channel.VISIT)
    s["F"] = register(org, grid=None)  # nobody's yet: the centre's
    return s


SEES = {
    "dispatcher": "ABCDEF",
    "callback": "ABCDEF",
    "admin": "ABCDEF",
    "district_leader": "ABCDEF",
    "s1_handler": "A",
    "s1_leader": "AC",  # the street's whole subtree
    "s2_handler": "BE",
    "c1_handler": "AC",  # its community's grid (A), and what is led by it
    "d1_handler": "A",  # summoned
    "d2_handler": "A",  # assisting
    "d3_handler": "D",
    "grid1_worker": "AE",  # own grid, and what they registered
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_appeals_visible_to(org, spread, who):
    user = getattr(org, who)
    expected = {spread[k].pk for k in SEES[who]}
    assert set(appeals_visible_to(user).values_list("pk", flat=True)) == expected
    for appeal in spread.values():
        if appeal.pk in expected:
            assert access_appeal(user, appeal.pk).pk == appeal.pk
            assert access_appeal(user, appeal.pk, for_write=True).pk == appeal.pk
        else:
            with pytest.raises(NotFound):
                access_appeal(user, appeal.pk)
            with pytest.raises(NotFound):
                access_appeal(user, appeal.pk, for_write=True)


def test_users_without_units_see_nothing(org, spread):
    nobody = User.objects.create_user("nobody", password="x-12345678")
    assert not appeals_visible_to(nobody).exists()
    with pytest.raises(NotFound):
        access_appeal(nobody, spread["A"].pk)
    from django.contrib.auth.models import AnonymousUser

    assert not appeals_visible_to(AnonymousUser()).exists()


def test_superuser_sees_all(org, spread):
    root = User.objects.create_superuser("root", password="x-12345678")
    assert appeals_visible_to(root).count() == len(spread)


def test_leader_of_a_community_sees_its_grids(org, spread):
    leader = make_user("c1l", org.community1, Role.UNIT_LEADER)
    g = register(org)  # grid 1 is under community 1
    assert set(appeals_visible_to(leader).values_list("pk", flat=True)) == {
        spread["A"].pk,
        spread["C"].pk,
        g.pk,
    }


@pytest.mark.parametrize("bad", [None, "abc", -1, 10**12])
def test_access_with_bad_ids_is_not_found(org, bad):
    with pytest.raises(NotFound):
        access_appeal(org.dispatcher, bad)
