import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min
from django.test import Client, override_settings
from django.utils import timezone

from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    Channel,
    CollectionPoint,
    FollowUp,
    Satisfaction,
    Status,
    Summons,
    SummonsStatus,
)
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.demo import builder
from minhu.demo import district as D
from minhu.demo.builder import DemoError, appeals_in, build_demo, plan
from minhu.orgs.models import OUTSIDE_KINDS, Membership, Role, Unit, UnitKind, User
from minhu.routing.models import (
    ClassifierModel,
    DecisionKind,
    DispatchRule,
    RoutingConfig,
    RoutingDecision,
)

pytestmark = pytest.mark.django_db
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo_appeals():
    """The builder's own appeals (demo parts add work items of other kinds and channels)."""
    return builder.builder_appeals()


def test_if_empty_is_idempotent(db):
    out = io.StringIO()
    call_command("demo", "--if-empty", "--appeals", "12", stdout=out)
    assert "12/12" in out.getvalue()
    counts = (Unit.objects.count(), User.objects.count(), demo_appeals().count())
    events = AppealEvent.objects.count()
    out = io.StringIO()
    call_command("demo", "--if-empty", "--appeals", "12", stdout=out)
    assert "跳过" in out.getvalue()
    assert (Unit.objects.count(), User.objects.count(), demo_appeals().count()) == counts
    assert AppealEvent.objects.count() == events
    # Without --if-empty it refuses rather than build a second district.
    with pytest.raises(CommandError):
        call_command("demo", "--appeals", "12", stdout=io.StringIO())
    # Too few closed appeals to train a model: the keyword rules propose, nothing is
    # dispatched automatically, every waiting appeal has its proposal.
    assert not ClassifierModel.objects.exists()
    waiting = demo_appeals().filter(status=Status.NEW)
    assert waiting.exists()
    for a in waiting:
        [decision] = RoutingDecision.objects.filter(appeal=a)
        assert decision.kind == DecisionKind.PROPOSAL and not decision.auto
        assert decision.proposal["source"] in ("rules", "none")
    assert not AppealEvent.objects.filter(kind="auto_dispatch").exists()


def test_a_build_interrupted_before_routing_finishes_it(db, monkeypatch):
    real = builder.set_up_routing

    def failing(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(builder, "set_up_routing", failing)
    with pytest.raises(RuntimeError):
        build_demo(seed=2, appeals=12)
    assert demo_appeals().count() == 12 and not DispatchRule.objects.exists()
    assert builder.demo_state(2, 12) == ("partial", len(plan(2, 12)))
    monkeypatch.setattr(builder, "set_up_routing", real)
    out = io.StringIO()
    build_demo(seed=2, appeals=12, stdout=out)
    assert "补做智能分拨" in out.getvalue() and DispatchRule.objects.exists()
    assert demo_appeals().count() == 12
    assert builder.demo_state(2, 12)[0] == "complete"


def test_logins_prints_the_table(db):
    out = io.StringIO()
    call_command("demo", "--logins", stdout=out)
    text = out.getvalue()
    for username in ("admin", "dispatcher", "callback", "leader", "donghu-handler"):
        assert f"\n{username} " in text
    assert "chengguan-leader" in text and "minhu2026" in text and "调度员" in text
    assert "hubin-grid1" in text  # summarised row names an example
    assert "尚未载入" in text
    assert "xiahe-grid2" not in text
    out = io.StringIO()
    call_command("demo", "--logins", "--all", stdout=out)
    assert "xiahe-grid2" in out.getvalue()
    # Every row of the full table is a real account once the demo is built.
    build_demo(seed=0, appeals=0)
    from minhu.demo.parts import part_logins

    # (Demo parts add rows of their own, some of them keys rather than accounts.)
    own = {row[0] for row in builder.logins_table(full=True)} - {r[0] for r in part_logins()}
    users = set(User.objects.values_list("username", flat=True))
    assert own <= users and {a.username for a in D.accounts()} <= users


# transaction=True: PostgreSQL cannot TRUNCATE (flush) inside the test's own transaction.
# pytest-django runs such tests last, so the database may still hold other tests' data:
# the first --flush --yes-really clears it whatever it is.
@pytest.mark.django_db(transaction=True)
def test_flush_needs_confirmation_once_appeals_exist():
    args = ("demo", "--appeals", "10", "--seed", "5")
    call_command(*args, "--flush", "--yes-really", stdout=io.StringIO())
    codes = sorted(demo_appeals().values_list("code", "subject"))
    assert len(codes) == 10
    with pytest.raises(CommandError, match="yes-really"):
        call_command(*args, "--flush", stdout=io.StringIO())
    assert demo_appeals().count() == 10
    call_command(*args, "--flush", "--yes-really", stdout=io.StringIO())
    assert Unit.objects.filter(kind=UnitKind.DISTRICT).count() == 1
    # Same seed, same appeals (tracking codes included).
    assert sorted(demo_appeals().values_list("code", "subject")) == codes


def test_plan_is_deterministic_and_counts_exactly():
    for n in (0, 1, 7, 60, 300):
        stories = plan(2, n)
        assert appeals_in(stories) == n
        assert stories == plan(2, n)
    assert plan(2, 60) != plan(3, 60)


def test_an_interrupted_build_resumes(db, monkeypatch):
    real_run = builder.StoryRunner.run

    def failing_run(self, start):
        if self.s.index == builder.BATCH + 2:
            raise RuntimeError("power cut")
        return real_run(self, start)

    monkeypatch.setattr(builder.StoryRunner, "run", failing_run)
    with pytest.raises(RuntimeError):
        build_demo(seed=4, appeals=40)
    stories = plan(4, 40)
    assert demo_appeals().count() == appeals_in(stories[: builder.BATCH])
    monkeypatch.setattr(builder.StoryRunner, "run", real_run)
    out = io.StringIO()
    build_demo(seed=4, appeals=40, stdout=out)
    assert "续建" in out.getvalue()
    assert demo_appeals().count() == 40
    with pytest.raises(DemoError):
        build_demo(seed=4, appeals=40)


# The tests below share the default demo district (seed 0, 300 appeals: what `minhu demo`
# builds), built once for the module and committed (each test still runs in its own
# transaction on top of it); the module flushes the database afterwards. They come last in
# this file so the tests above see an empty one.
@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    # Module scope runs before conftest's per-test fast hasher: use the same one.
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS), django_db_blocker.unblock():
        summary = build_demo(seed=0, appeals=300)
    yield summary
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_every_status_occurs_and_every_log_is_complete(demo):
    assert demo_appeals().count() == 300
    counts = dict(demo_appeals().values_list("status").annotate(n=Count("id")))
    for status in Status:
        assert counts.get(status.value, 0) > 0, status
    # The summary counts every work item, the demo parts' own kinds included.
    everything = dict(Appeal.objects.values_list("status").annotate(n=Count("id")))
    assert demo["by_status"] == {s.value: everything.get(s.value, 0) for s in Status}

    now = timezone.now()
    for a in demo_appeals().prefetch_related("events"):
        events = list(a.events.all())
        assert events[0].kind == "register", a.code
        assert events[0].to_status == Status.NEW
        assert events[-1].to_status == a.status, (a.code, [e.kind for e in events])
        assert events[0].created_at == a.created_at
        assert all(e.created_at <= now for e in events)
        # Events are in time order as written (the frozen clock never goes back).
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)


def test_the_aggregates_count_the_parts_work_items(demo):
    # Parts add work items dated in the past after the evaluation built the aggregates.
    from minhu.evaluation import aggregates

    assert Appeal.objects.exclude(pk__in=demo_appeals()).exists()
    result = aggregates.check()
    assert result.days > 0
    assert result.mismatches == []


def test_the_history_is_rich(demo):
    # Every channel, spread over the last two months.
    assert set(demo_appeals().values_list("channel", flat=True)) == set(Channel.values)
    span = Appeal.objects.aggregate(lo=Min("created_at"), hi=Max("created_at"))
    assert span["lo"] < timezone.now() - dt.timedelta(days=30)
    # Closed appeals were followed up with all three satisfaction levels.
    closed_ratings = set(
        FollowUp.objects.filter(appeal__status=Status.CLOSED, reached=True).values_list(
            "satisfaction", flat=True
        )
    )
    assert closed_ratings == set(Satisfaction.values)
    # Whistles with some departments reported and some still pending.
    escalated = Summons.objects.filter(appeal__status=Status.ESCALATED)
    assert escalated.filter(status=SummonsStatus.REPORTED).exists()
    assert escalated.filter(status=SummonsStatus.PENDING).exists()
    # Reopened appeals, one still in progress; merged children point at open-or-closed parents.
    assert Appeal.objects.filter(status=Status.IN_PROGRESS, reopen_count__gt=0).exists()
    assert not Appeal.objects.filter(status=Status.MERGED, parent=None).exists()
    assert AppealEvent.objects.filter(kind="merge").count() == demo["by_status"]["merged"]
    # Extensions decided both ways, returns, and some deadlines running late or soon.
    kinds = set(AppealEvent.objects.values_list("kind", flat=True))
    assert {"extension_approve", "return", "whistle", "report", "rate", "reopen"} <= kinds
    assert demo["overdue"] > 0 and demo["due_soon"] > 0
    assert (
        Appeal.objects.filter(status=Status.RETURNED, lead_unit=None).count()
        == (demo["by_status"]["returned"])
    )


def test_every_role_has_a_user_who_can_log_in(demo):
    for role in Role:
        m = Membership.objects.filter(role=role).select_related("user").first()
        assert m is not None, role
        client = Client()
        assert client.login(username=m.user.username, password=D.PASSWORD), role
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_organisation_counts_are_as_documented(demo):
    # Outside parties come from the consultation demo part (counted in its own test).
    kinds = dict(
        Unit.objects.exclude(kind__in=OUTSIDE_KINDS).values_list("kind").annotate(n=Count("id"))
    )
    # The numbers in docs/demo.md.
    assert kinds == {
        UnitKind.DISTRICT: 1,
        UnitKind.CENTER: 1,
        UnitKind.DEPARTMENT: 20,
        UnitKind.STREET: 4,
        UnitKind.TOWN: 2,
        UnitKind.COMMUNITY: 20,
        UnitKind.VILLAGE: 10,
        UnitKind.GRID: 100,
    }
    expected = builder.expected_counts()
    # (Outside parties' accounts come from the consultation part, cadres from the registry's.)
    own = User.objects.exclude(memberships__unit__kind__in=OUTSIDE_KINDS).exclude(
        username__regex=r"-cadre[0-9]+$"
    )
    assert own.count() == expected["accounts"] == 175
    assert Category.objects.filter(parent=None).count() == 10
    assert Category.objects.exclude(parent=None).count() == 46
    for top in Category.objects.filter(parent=None):
        assert 3 <= top.children.count() <= 6, top
    assert not Category.objects.exclude(parent=None).filter(default_lead_kind="").exists()
    # Every community paired with a department; every department with at least one community.
    communities = Unit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.VILLAGE])
    assert all(
        c.paired_departments.filter(kind=UnitKind.DEPARTMENT).count() == 1 for c in communities
    )
    assert not Unit.objects.filter(kind=UnitKind.DEPARTMENT, paired_communities=None).exists()
    # Every street, department and community has a handler; every grid a grid worker.
    handled = set(Membership.objects.filter(role=Role.HANDLER).values_list("unit_id", flat=True))
    for u in Unit.objects.filter(
        kind__in=[UnitKind.STREET, UnitKind.TOWN, UnitKind.DEPARTMENT, UnitKind.COMMUNITY]
    ):
        assert u.pk in handled, u
    assert Membership.objects.filter(role=Role.GRID_WORKER).count() == 100
    assert TimeLimitPolicy.objects.filter(category=None, urgency="").count() == 5
    assert TimeLimitPolicy.objects.exclude(category=None).exists()
    assert CalendarOverride.objects.count() == len(D.CALENDAR_OVERRIDES)
    assert TimeLimitPolicy.objects.count() == 20
    assert CollectionPoint.objects.count() == 21
    assert CollectionPoint.objects.filter(is_service_hall=True).count() == 7
    assert CollectionPoint.objects.filter(is_service_hall=False, channel=Channel.H5).exists()
    assert CollectionPoint.objects.filter(channel=Channel.ENTERPRISE).exists()


def test_the_consultation_part_has_every_state(demo):
    from minhu.consultation import stats
    from minhu.consultation.models import Decision, Meeting, Room

    assert Unit.objects.filter(kind__in=OUTSIDE_KINDS).count() == 6
    assert {u.kind for u in Unit.objects.filter(kind__in=OUTSIDE_KINDS)} == OUTSIDE_KINDS
    assert Room.objects.count() == 3
    assert set(Meeting.objects.values_list("status", flat=True)) == {"planned", "held", "cancelled"}
    states = set(Decision.objects.values_list("item__status", flat=True))
    assert states == {"dispatched", "in_progress", "resolved", "replied", "closed"}
    [(street, f)] = stats.by_street(Room.objects.all())
    assert street == "东湖街道" and f.overdue >= 1 and f.done == 3 and f.visits == 9


def test_the_registry_and_visits_parts(demo):
    """Every household linked, no cadre with hundreds of households, the district leader 联系
    households and sends a visit problem into the loop; the visitors log in with the demo
    password and are listed by --logins."""
    from minhu.registry.assignment import DEFAULT_MAX_LOAD
    from minhu.registry.models import CadreLink, CadreTier, Household
    from minhu.visits.models import Campaign, Visit, VisitProblem

    households = Household.objects.count()
    assert households >= 5000
    links = CadreLink.objects.filter(ended_at__isnull=True)
    assert links.count() == households
    loads = list(links.values("cadre_id").annotate(n=Count("id")).values_list("n", flat=True))
    assert max(loads) <= 2 * DEFAULT_MAX_LOAD, max(loads)  # a big building stays whole
    assert set(links.values_list("tier", flat=True)) == {
        CadreTier.SUPPORT,
        CadreTier.CONTACT,
    }
    leader = User.objects.get(username="leader")
    assert links.filter(cadre=leader, tier=CadreTier.CONTACT).count() > 0
    [campaign] = Campaign.objects.all()
    sent = VisitProblem.objects.filter(visit__visitor=leader, appeal__isnull=False)
    assert sent.exists()
    item = sent.first().appeal
    assert item.kind == "visit_problem" and item.events.get(kind="register").actor == leader
    # Visit problems are work items of their own kind: the builder's 300 stay 300.
    assert demo_appeals().count() == 300
    assert (
        Appeal.objects.filter(kind="visit_problem").count()
        == VisitProblem.objects.filter(appeal__isnull=False).count()
        > 0
    )
    assert Visit.objects.filter(campaign=campaign).count() > households // 2
    out = io.StringIO()
    call_command("demo", "--logins", stdout=out)
    text = out.getvalue()
    assert "走访人（" in text and "区领导走访人（联系" in text
    visitor = next(line for line in text.splitlines() if "走访人（" in line).split()[0]
    assert Client().login(username=visitor, password=D.PASSWORD)


def test_the_service_part_has_every_state(demo):
    from minhu.services import stats
    from minhu.services.models import Service, ServiceCategory, ServiceOrder

    assert set(Service.objects.values_list("category", flat=True)) == set(ServiceCategory.values)
    orders = ServiceOrder.objects.all()
    assert set(orders.values_list("status", flat=True)) == {
        "pending",
        "placed",
        "rejected",
        "cancelled",
    }
    states = set(orders.exclude(item=None).values_list("item__status", flat=True))
    assert states == {"dispatched", "in_progress", "resolved", "replied", "closed"}
    now = timezone.now()
    assert orders.filter(item__status="in_progress", item__resolve_due_at__lt=now).exists()
    total = stats.total(orders)
    assert (total.placed, total.done, total.rated) == (6, 3, 1)


def test_the_dispatch_catalogue_covers_every_category(demo):
    subs = Category.objects.exclude(parent=None).select_related("default_lead_unit")
    streets = Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN])
    assert DispatchRule.objects.filter(active=True).count() == demo["routing"]["rules"]
    for cat in subs:
        rules = list(DispatchRule.objects.filter(category=cat, active=True))
        if cat.default_lead_unit_id:  # its department, district-wide
            assert [(r.area_id, r.lead_unit_id) for r in rules] == [
                (None, cat.default_lead_unit_id)
            ], cat
        elif cat.default_lead_kind == UnitKind.COMMUNITY:  # the appeal's own community
            assert [(r.area_id, r.lead_local) for r in rules] == [(None, "community")], cat
        else:  # each street (town) leads in its own area
            assert sorted((r.area_id, r.lead_unit_id) for r in rules) == sorted(
                (s.pk, s.pk) for s in streets
            ), cat


def test_a_model_is_trained_from_the_closed_appeals(demo):
    model = ClassifierModel.objects.get()
    assert model.active and model.trained_on == "history" and demo["routing"]["model_version"]
    assert f"v{model.version}" == demo["routing"]["model_version"]
    # The closed appeals of the categories closed at least twice before it was trained.
    closed = Counter(
        Appeal.objects.filter(
            status=Status.CLOSED, category__isnull=False, closed_at__lt=model.created_at
        ).values_list("category__code", flat=True)
    )
    assert model.n_samples == sum(n for n in closed.values() if n >= 2) >= 50
    assert set(model.labels) == {code for code, n in closed.items() if n >= 2}
    assert "macro_f1" in model.evaluation  # with its holdout evaluation
    # Trained before any appeal it routed came in; the catalogue was there before it.
    first = RoutingDecision.objects.order_by("created_at").first()
    assert model.created_at < first.appeal.created_at
    assert DispatchRule.objects.filter(created_at__gt=model.created_at).count() == 0


def test_confident_new_appeals_dispatched_themselves(demo):
    threshold = RoutingConfig.get().effective_threshold
    autos = list(RoutingDecision.objects.filter(kind=DecisionKind.AUTO).select_related("appeal"))
    assert autos and len(autos) == demo["routing"]["auto_dispatched"]
    for d in autos:
        a = d.appeal
        assert a.status != Status.NEW and a.lead_unit_id == d.lead_unit_id
        [event] = a.events.filter(kind="auto_dispatch")
        assert event.actor is None and event.unit_id == d.lead_unit_id
        assert event.data["model_version"] == f"v{ClassifierModel.objects.get().version}"
        assert event.data["confidence"] >= threshold and event.data["rule"]
        assert d.confidence == pytest.approx(event.data["confidence"])
        # Within a minute of its arrival (after its registration), not at the end of the build.
        before = a.events.filter(created_at__lt=event.created_at).order_by("-created_at")[0]
        assert dt.timedelta(0) < event.created_at - before.created_at <= dt.timedelta(minutes=1)
        for cls in a.events.filter(kind="classify", actor=None):
            assert cls.data["source"] == "auto" and cls.data["model_version"] == "v1"


def test_the_appeals_left_for_the_dispatcher_have_their_proposals(demo):
    threshold = RoutingConfig.get().effective_threshold
    waiting = list(demo_appeals().filter(status=Status.NEW))
    assert waiting and len(waiting) == demo["routing"]["proposed"]
    assert demo["by_status"]["new"] == Appeal.objects.filter(status=Status.NEW).count()
    for a in waiting:
        [d] = RoutingDecision.objects.filter(appeal=a)
        assert d.kind == DecisionKind.PROPOSAL and not d.auto
        assert d.model_version == "v1" and len(d.proposal["top"]) == 3
        assert d.proposal["not_auto_reasons"]  # why the dispatcher has to decide
        assert d.confidence < threshold or d.proposal["duplicates"] or not d.lead_unit_id
        assert d.created_at > a.created_at


def test_demo_parts_run_once_in_order_and_add_their_logins():
    from minhu.demo import parts as P

    calls = []
    built = set()

    def make(code):
        def build(*, seed, now, out):
            calls.append((code, seed))
            built.add(code)
            return f"{code} ok"

        return build

    saved = dict(P._PARTS)
    try:
        P._PARTS.clear()
        P.register_part(
            P.DemoPart(
                "b",
                "B",
                make("b"),
                lambda: "b" in built,
                order=20,
                logins=lambda: [("b-user", "pw", "role", "unit")],
            )
        )
        P.register_part(P.DemoPart("a", "A", make("a"), lambda: "a" in built, order=10))
        lines = []
        import datetime as dt

        assert P.build_parts(3, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), lines.append) == {
            "a": "a ok",
            "b": "b ok",
        }
        assert calls == [("a", 3), ("b", 3)]
        assert lines == ["A：a ok", "B：b ok"]
        assert P.build_parts(3, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), lines.append) == {}
        assert calls == [("a", 3), ("b", 3)]
        assert P.part_logins() == [("b-user", "pw", "role", "unit")]
    finally:
        P._PARTS.clear()
        P._PARTS.update(saved)


def test_a_part_waits_for_what_it_needs():
    from minhu.demo import parts as P

    built: set[str] = set()

    def make(code):
        def build(*, seed, now, out):
            built.add(code)
            return f"{code} ok"

        return build

    saved = dict(P._PARTS)
    try:
        P._PARTS.clear()
        # "late" needs "base", which comes after it in order; "orphan" needs a part nobody registered.
        P.register_part(
            P.DemoPart("late", "L", make("late"), lambda: "late" in built, order=5, needs=("base",))
        )
        P.register_part(
            P.DemoPart("orphan", "O", make("orphan"), lambda: "orphan" in built, needs=("gone",))
        )
        P.register_part(P.DemoPart("base", "B", make("base"), lambda: "base" in built, order=10))
        import datetime as dt

        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert [p.code for p in P.buildable_parts()] == ["base"]
        lines: list[str] = []
        # "late" comes first in order but is built after "base", in the same run.
        assert P.build_parts(1, now, lines.append) == {"base": "base ok", "late": "late ok"}
        assert lines == ["B：base ok", "L：late ok"]
        assert P.buildable_parts() == []
        assert P.build_parts(1, now, lines.append) == {}
        assert [p.code for p in P.pending_parts()] == ["orphan"]
    finally:
        P._PARTS.clear()
        P._PARTS.update(saved)
