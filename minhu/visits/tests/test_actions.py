import uuid

import pytest

from minhu.appeals.models import Appeal, Status
from minhu.core.errors import Conflict, InvalidInput, NotFound
from minhu.visits import actions
from minhu.visits.models import Assignment, AssignmentState, Outcome, Resolution, Visit

from .factories import build_campaign

pytestmark = pytest.mark.django_db


def test_every_household_assigned_exactly_once(org):
    c = build_campaign(org)
    asg = Assignment.objects.filter(campaign=c.campaign)
    assert asg.count() == 5  # 6 households, one in grid2 without a linked cadre
    assert c.result.unlinked == [c.hh2[-1].pk]
    assert {a.household_id: a.visitor_id for a in asg.filter(grid=org.grid1)} == {
        h.pk: (c.v1.pk if i % 2 == 0 else c.v2.pk) for i, h in enumerate(c.hh1)
    }
    # Running it again assigns nothing twice.
    again = actions.assign_households(c.campaign, actor=org.admin)
    assert again.assigned == 0 and again.already == 5
    assert asg.count() == 5
    # The unlinked household is given by hand; moving an assigned one changes its visitor.
    n = actions.move_assignment(
        c.campaign, actor=org.admin, household_ids=[c.hh2[-1].pk, c.hh1[1].pk], visitor=c.v3
    )
    assert n == 2
    assert asg.count() == 6
    assert asg.get(household=c.hh1[1]).visitor == c.v3


def test_move_outside_the_campaign_is_refused(org):
    c = build_campaign(org)
    from minhu.registry.testing import make_household

    other = make_household(org.grid1)
    other.grid = org.grid2
    with pytest.raises(InvalidInput):
        actions.move_assignment(
            c.campaign, actor=org.admin, household_ids=[other.pk, 999999], visitor=c.v3
        )


def test_manage_needs_the_organising_unit(org):
    c = build_campaign(org)
    from minhu.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.assign_households(c.campaign, actor=org.s1_handler)


def _visit(c, visitor, household, outcome=Outcome.VISITED, problems=(), cid=None):
    return actions.record_visit(
        actor=visitor,
        client_id=cid or uuid.uuid4(),
        campaign=c.campaign.pk,
        household_id=household.pk,
        outcome=outcome,
        answers={c.campaign.questions[0]: "都好", "不是问题": "x"},
        leaflets=2,
        problems=problems,
    )


def test_visit_with_two_problems_one_in_the_loop(org):
    c = build_campaign(org)
    h = c.hh1[0]
    res = _visit(
        c,
        c.v1,
        h,
        problems=[
            actions.ProblemInput(
                domain="living", text="楼道灯坏了三天", on_spot=True, solution="当场换了灯泡"
            ),
            actions.ProblemInput(domain="security", text="小区门口夜间有人飙车", on_spot=False),
        ],
    )
    assert res.created
    v = res.visit
    assert v.answers == {c.campaign.questions[0]: "都好"}
    p1, p2 = v.problems.order_by("id")
    assert p1.resolution == Resolution.ON_SPOT and p1.appeal is None
    assert p2.resolution == Resolution.APPEAL
    item = Appeal.objects.get(pk=p2.appeal_id)
    assert item.kind == "visit_problem" and item.channel == "visit"
    assert item.status == Status.NEW  # in the dispatch centre's queue
    assert item.appellant_name == h.head_name and item.grid == org.grid1
    assert item.address == h.address
    assert (item.source_type, item.source_id) == ("visits.VisitProblem", str(p2.pk))
    a = Assignment.objects.get(campaign=c.campaign, household=h)
    assert a.state == AssignmentState.DONE and a.visit_count == 1


def test_retried_upload_creates_nothing_twice(org):
    c = build_campaign(org)
    cid = uuid.uuid4()
    probs = [actions.ProblemInput(domain="living", text="门口垃圾没人清理", on_spot=False)]
    first = _visit(c, c.v1, c.hh1[0], problems=probs, cid=cid)
    second = _visit(c, c.v1, c.hh1[0], problems=probs, cid=cid)
    assert first.created and not second.created
    assert second.visit.pk == first.visit.pk
    assert Visit.objects.count() == 1
    assert Appeal.objects.filter(kind="visit_problem").count() == 1
    assert Assignment.objects.get(campaign=c.campaign, household=c.hh1[0]).visit_count == 1
    # Someone else reusing the id is refused.
    with pytest.raises(Conflict):
        _visit(c, c.v2, c.hh1[1], cid=cid)


def test_not_home_comes_back_and_two_visitors_are_flagged(org):
    c = build_campaign(org)
    h = c.hh1[0]
    _visit(c, c.v1, h, outcome=Outcome.NOT_HOME)
    a = Assignment.objects.get(campaign=c.campaign, household=h)
    assert a.state == AssignmentState.AGAIN
    first = _visit(c, c.v1, h).visit
    # v2 visits households of the same grid, so may record this one too: both kept, flagged.
    second = _visit(c, c.v2, h).visit
    first.refresh_from_db()
    assert first.conflict and second.conflict
    assert Visit.objects.filter(household=h).count() == 3
    a.refresh_from_db()
    assert a.state == AssignmentState.DONE and a.visit_count == 3


def test_visitor_outside_the_grid_gets_not_found(org):
    c = build_campaign(org)
    with pytest.raises(NotFound):
        _visit(c, c.v3, c.hh1[0])
    with pytest.raises(NotFound):
        _visit(c, org.d3_handler, c.hh1[0])


def test_bad_input(org):
    c = build_campaign(org)
    with pytest.raises(InvalidInput) as e:
        _visit(c, c.v1, c.hh1[0], outcome="nope")
    assert e.value.code == "invalid_outcome"
    with pytest.raises(InvalidInput) as e:
        _visit(c, c.v1, c.hh1[0], problems=[actions.ProblemInput("living", "路灯不亮了", True)])
    assert e.value.code == "solution_required"
    with pytest.raises(InvalidInput) as e:
        _visit(
            c,
            c.v1,
            c.hh1[0],
            outcome=Outcome.NOT_HOME,
            problems=[actions.ProblemInput("living", "路灯不亮了", False)],
        )
    assert e.value.code == "problems_need_visit"
    assert Visit.objects.count() == 0  # nothing half-written


def test_a_visitor_without_a_registering_role_sends_their_problem_into_the_loop(org):
    """A district leader (联系 tier) holds no role that registers appeals, yet the problem found
    on their own visit becomes a work item; anyone else is still refused."""
    from minhu.appeals import actions as appeal_actions
    from minhu.appeals.guards import allows, check_register
    from minhu.appeals.kinds import get_kind

    def may_register(actor, kind, source=None):
        return allows(check_register, actor, "visit", kind=kind, source=source)

    from minhu.core.errors import PermissionDenied
    from minhu.registry.models import CadreLink, CadreTier

    c = build_campaign(org)
    leader = org.district_leader
    h = c.hh1[0]
    CadreLink.objects.filter(household=h).update(cadre=leader, unit=org.district)
    CadreLink.objects.filter(household=h).update(tier=CadreTier.CONTACT)
    actions.move_assignment(c.campaign, actor=org.admin, household_ids=[h.pk], visitor=leader)
    kind = get_kind("visit_problem")
    assert not may_register(leader, get_kind("appeal"))
    res = _visit(
        c,
        leader,
        h,
        problems=[actions.ProblemInput(domain="living", text="小区路灯坏了一排", on_spot=False)],
    )
    [problem] = res.visit.problems.all()
    item = problem.appeal
    assert item is not None and item.kind == "visit_problem" and item.status == Status.NEW
    [event] = item.events.filter(kind="register")
    assert event.actor == leader
    # The rule is the visitor's own problem, not yet sent: not a second time, not another's.
    assert not may_register(leader, kind, problem)
    problem.appeal = None
    assert may_register(leader, kind, problem)
    assert not may_register(org.callback, kind, problem)
    with pytest.raises(PermissionDenied):
        appeal_actions.register_appeal(
            actor=org.callback,
            kind="visit_problem",
            source=problem,
            channel="visit",
            subject="走访问题",
            detail="小区路灯坏了一排",
        )
    # A resident appeal from the same leader is still refused.
    with pytest.raises(PermissionDenied):
        appeal_actions.register_appeal(
            actor=leader,
            channel="hotline",
            subject="路灯",
            detail="小区路灯坏了一排",
            appellant_phone="13800000000",
        )
