"""Catalogue lookup, automatic dispatch above the threshold, proposals below it, corrections."""

import pytest

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import AppealEvent, EventKind, Status
from minhu.categories.models import Category
from minhu.core.errors import Conflict, InvalidInput, PermissionDenied
from minhu.routing import actions, catalogue, classifier, feedback, location, proposals
from minhu.routing.location import LocationMatch
from minhu.routing.models import (
    DecisionKind,
    DispatchRule,
    LeadLocal,
    Place,
    PlaceKind,
    RoutingDecision,
)

from .helpers import FakeClassifier, register


@pytest.fixture(autouse=True)
def _inline_jobs(settings):
    """Routing is a job (appeals.jobs.run_intake_hooks): run it in-process after commit, on
    PostgreSQL too (where the default backend would store it for `minhu worker`)."""
    settings.MINHU_JOBS = "inline"


@pytest.fixture(autouse=True)
def clean_caches():
    classifier.clear_cache()
    location.clear_cache()
    yield
    classifier.clear_cache()


@pytest.fixture
def model(org, monkeypatch):
    """An active model (v1) whose predictions the test sets: model.top = [(label, prob)]."""
    fake = FakeClassifier([("streetlight", 0.93), ("城乡建设", 0.05), ("education", 0.02)])
    monkeypatch.setattr(classifier, "load_blob", lambda blob: fake)
    actions.store_model(
        actor=None,
        blob=b"x",
        labels=fake.labels,
        params={},
        evaluation={"macro_f1": 0.9},
        trained_on="test",
        n_samples=3,
    )
    return fake


def loc(org, community=True):
    return LocationMatch(
        grid_id=org.grid1.pk,
        community_id=org.community1.pk if community else None,
        street_id=org.street1.pk,
    )


def test_catalogue_most_specific_rule_wins(org):
    anywhere = actions.save_dispatch_rule(
        actor=org.dispatcher, category=org.top_category, lead_unit=org.dept2
    )
    assert catalogue.lookup(org.category, loc(org)).lead_unit == org.dept2  # parent category
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    assert catalogue.lookup(org.category, loc(org)).lead_unit == org.dept1  # own category
    actions.save_dispatch_rule(
        actor=org.dispatcher,
        category=org.category,
        area=org.street1,
        lead_local=LeadLocal.STREET,
        assist_units=[org.dept1],
    )
    r = catalogue.lookup(org.category, loc(org))
    assert (r.lead_unit, r.assist_units, r.source) == (org.street1, [org.dept1], "rule")
    actions.save_dispatch_rule(
        actor=org.dispatcher,
        category=org.category,
        area=org.community1,
        lead_local=LeadLocal.COMMUNITY,
    )
    assert catalogue.lookup(org.category, loc(org)).lead_unit == org.community1
    # Elsewhere (street 2) the district-wide rule of the category applies.
    other = LocationMatch(street_id=org.street2.pk)
    assert catalogue.lookup(org.category, other).lead_unit == org.dept1
    # Unknown place: a 属地 rule cannot resolve, the next rule does.
    assert catalogue.lookup(org.category, LocationMatch()).lead_unit == org.dept1
    actions.deactivate_dispatch_rule(anywhere, actor=org.dispatcher)
    assert catalogue.lookup(org.top_category, LocationMatch()).source == ""


def test_catalogue_falls_back_to_category_default_as_proposal_only(org):
    org.category.default_lead_kind = "street"
    org.category.save()
    r = catalogue.lookup(org.category, loc(org))
    assert (r.lead_unit, r.source) == (org.street1, "category_default")


def test_rule_validation(org):
    with pytest.raises(InvalidInput):  # neither a unit nor 属地
        actions.save_dispatch_rule(actor=org.dispatcher, category=org.category)
    with pytest.raises(InvalidInput):  # both
        actions.save_dispatch_rule(
            actor=org.dispatcher, category=org.category, lead_unit=org.dept1, lead_local="street"
        )
    with pytest.raises(InvalidInput):  # the centre cannot handle appeals
        actions.save_dispatch_rule(
            actor=org.dispatcher, category=org.category, lead_unit=org.centre
        )
    with pytest.raises(InvalidInput):  # a grid is not an area of the catalogue
        actions.save_dispatch_rule(
            actor=org.dispatcher, category=org.category, area=org.grid1, lead_unit=org.dept1
        )
    with pytest.raises(PermissionDenied):
        actions.save_dispatch_rule(actor=org.s1_handler, category=org.category, lead_unit=org.dept1)
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with pytest.raises(Conflict):
        actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept2)


def test_auto_dispatch_above_threshold_records_model_version_and_confidence(
    org, model, django_capture_on_commit_callbacks
):
    actions.save_dispatch_rule(
        actor=org.dispatcher,
        category=org.category,
        lead_local=LeadLocal.STREET,
        assist_units=[org.dept1],
    )
    Place.objects.create(name="阳光花园", kind=PlaceKind.ESTATE, grid=org.grid1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "阳光花园路灯不亮", "阳光花园3栋旁边的路灯坏了一周")
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED
    assert (a.category, a.grid, a.street, a.lead_unit) == (
        org.category,
        org.grid1,
        org.street1,
        org.street1,
    )
    auto = a.events.get(kind=EventKind.AUTO_DISPATCH)
    assert auto.actor is None and auto.unit_id == org.street1.pk
    assert auto.data["model_version"] == "v1" and auto.data["confidence"] == pytest.approx(0.93)
    assert auto.data["assist"] == [org.dept1.pk]
    cls = a.events.get(kind=EventKind.CLASSIFY)
    assert cls.data["source"] == "auto" and cls.data["model_version"] == "v1"
    assert cls.data["confidence"] == pytest.approx(0.93)
    [decision] = RoutingDecision.objects.filter(appeal=a)
    assert decision.kind == DecisionKind.AUTO and decision.auto and not decision.corrected
    assert decision.model_version == "v1" and decision.lead_unit == org.street1
    p = proposals.proposal_for(a)
    assert p["auto"] and p["top"][0] == (org.category.pk, "城乡建设 / 路灯照明", 0.93)
    assert p["grid"] == (org.grid1.pk, org.grid1.name)


def test_auto_dispatch_stores_a_place_found_above_the_grid(
    org, model, django_capture_on_commit_callbacks
):
    """A place that names a community (not a grid) still gives the appeal its street: it was
    left empty and the appeal counted as 未定位."""
    actions.save_dispatch_rule(
        actor=org.dispatcher, category=org.category, lead_local=LeadLocal.STREET
    )
    Place.objects.create(name="幸福里小区", kind=PlaceKind.ESTATE, area=org.community1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "幸福里小区路灯不亮", "幸福里小区门口的路灯坏了一周", grid=None)
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED and a.lead_unit == org.street1
    assert a.grid is None and a.street == org.street1
    cls = a.events.get(kind=EventKind.CLASSIFY)
    assert cls.data["changes"]["street"] == [None, org.street1.pk]
    assert cls.data["community"] == org.community1.pk


def test_below_threshold_only_a_proposal_is_stored(org, model, django_capture_on_commit_callbacks):
    model.top = [("streetlight", 0.6), ("education", 0.4)]
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "东一社区门口路灯坏了")
    a.refresh_from_db()
    assert a.status == Status.NEW and a.category is None and a.lead_unit is None
    assert not a.events.filter(kind__in=[EventKind.AUTO_DISPATCH, EventKind.CLASSIFY]).exists()
    p = proposals.proposal_for(a)
    assert not p["auto"] and p["confidence"] == 0.6
    assert [t[0] for t in p["top"]] == [org.category.pk, None]  # "education" maps to nothing
    assert p["lead_unit"] == (org.dept1.pk, org.dept1.name)
    assert p["location"]["community_id"] == org.community1.pk
    assert any("低于阈值" in r for r in p["not_auto_reasons"])


def test_threshold_is_configurable(org, model, django_capture_on_commit_callbacks):
    model.top = [("streetlight", 0.6)]
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    actions.update_config(actor=org.dispatcher, threshold=0.5)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED
    actions.update_config(actor=org.dispatcher, auto_dispatch=False)
    with django_capture_on_commit_callbacks(execute=True):
        b = register(org, "路灯又不亮", "小区路灯又坏了")
    b.refresh_from_db()
    assert b.status == Status.NEW
    with pytest.raises(InvalidInput):
        actions.update_config(actor=org.dispatcher, threshold=1.5)
    with pytest.raises(PermissionDenied):
        actions.update_config(actor=org.s1_handler, threshold=0.9)


def test_no_catalogue_rule_no_auto_dispatch(org, model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    a.refresh_from_db()
    assert a.status == Status.NEW
    assert "派单目录中没有对应的主办单位" in proposals.proposal_for(a)["not_auto_reasons"]


def test_keyword_rules_propose_but_do_not_dispatch_by_default(
    org, django_capture_on_commit_callbacks
):
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    actions.update_config(actor=org.dispatcher, threshold=0.3)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "照明路灯不亮")
    a.refresh_from_db()
    assert a.status == Status.NEW
    p = proposals.proposal_for(a)
    assert p["source"] == "rules" and p["top"][0][0] == org.category.pk
    actions.update_config(actor=org.dispatcher, rules_may_auto_dispatch=True)
    with django_capture_on_commit_callbacks(execute=True):
        b = register(org, "路灯不亮没有照明", "晚上路灯不亮")
    b.refresh_from_db()
    assert b.status == Status.DISPATCHED
    ev = b.events.get(kind=EventKind.AUTO_DISPATCH)
    assert ev.data["model_version"] == "rules"


def test_dispatcher_correction_and_confirmation_are_recorded(
    org, model, django_capture_on_commit_callbacks
):
    model.top = [("streetlight", 0.7)]
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
        b = register(org, "路灯闪烁", "路灯一闪一闪")
    # a: the dispatcher picks another unit → correction
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    fix = RoutingDecision.objects.get(appeal=a, kind=DecisionKind.CORRECTION)
    assert fix.corrected and fix.lead_unit == org.street1 and fix.category == org.category
    assert fix.proposal["wrong"] == ["lead_unit"] and fix.model_version == "v1"
    assert fix.proposal["proposed_lead_unit_id"] == org.dept1.pk
    # b: as proposed → confirmed; then the unit returns it → correction
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.classify(b, actor=org.dispatcher, category=org.category)
        appeal_actions.dispatch(b, actor=org.dispatcher, lead_unit=org.dept1)
    ok = RoutingDecision.objects.get(appeal=b, kind=DecisionKind.CONFIRMED)
    assert not ok.corrected
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.return_appeal(b, actor=org.d1_handler, reason="不属于本单位职责")
    back = RoutingDecision.objects.get(appeal=b, kind=DecisionKind.CORRECTION)
    assert back.corrected and back.note == "按建议派单后被退回"
    # Replaying the events records nothing twice.
    assert feedback.reconcile() == 0
    assert RoutingDecision.objects.filter(kind=DecisionKind.CORRECTION).count() == 2


def test_return_after_auto_dispatch_is_a_correction(org, model, django_capture_on_commit_callbacks):
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.return_appeal(a, actor=org.d1_handler, reason="应由街道负责")
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    rows = list(RoutingDecision.objects.filter(appeal=a).order_by("id"))
    assert [r.kind for r in rows] == [
        DecisionKind.AUTO,
        DecisionKind.CORRECTION,
        DecisionKind.CORRECTION,
    ]
    assert rows[1].note == "自动派单被退回" and rows[1].lead_unit is None
    # The unit the dispatcher finally chose is recorded too (what retraining should learn).
    assert rows[2].lead_unit == org.street1 and rows[2].note == "自动派单后人工改派"


def test_reconcile_catches_up_without_the_event_hook(
    org, model, django_capture_on_commit_callbacks
):
    model.top = [("streetlight", 0.7)]
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    # Hooks not run (callbacks not executed):
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.dept2)
    assert not RoutingDecision.objects.filter(appeal=a, kind=DecisionKind.CORRECTION).exists()
    assert feedback.reconcile() == 1
    assert feedback.reconcile() == 0
    assert (
        RoutingDecision.objects.get(appeal=a, kind=DecisionKind.CORRECTION).lead_unit == org.dept2
    )


def test_routing_decisions_are_append_only(org, model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    d = RoutingDecision.objects.get(appeal=a)
    with pytest.raises(TypeError):
        d.save()
    with pytest.raises(TypeError):
        RoutingDecision.objects.all().delete()


def test_intake_failure_never_breaks_registration(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    from minhu.routing import intake

    def boom(*a, **k):
        raise RuntimeError("broken")

    monkeypatch.setattr(intake.proposals, "compute", boom)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    a.refresh_from_db()
    assert a.status == Status.NEW and not RoutingDecision.objects.exists()


def test_inactive_category_is_not_auto_dispatched(org, model, django_capture_on_commit_callbacks):
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    Category.objects.filter(pk=org.category.pk).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    a.refresh_from_db()
    assert a.status == Status.NEW
    assert AppealEvent.objects.filter(appeal=a, kind=EventKind.AUTO_DISPATCH).count() == 0


def test_proposal_flags_a_lead_unit_that_returned_the_appeal(
    org, model, django_capture_on_commit_callbacks
):
    model.top = [("streetlight", 0.7)]
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "小区路灯坏了")
    assert proposals.proposal_for(a)["lead_unit_returned"] is False
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.dept1)
        appeal_actions.return_appeal(a, actor=org.d1_handler, reason="不属于本单位职责")
    a.refresh_from_db()
    p = proposals.proposal_for(a)
    assert p["lead_unit_returned"] is True
    assert "建议的主办单位已退回过此诉求" in p["not_auto_reasons"]


def test_no_feedback_when_nothing_was_proposed(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = register(org, "东一社区楼道堆物", "楼道里堆满了杂物，存在消防隐患")  # no keywords
    assert RoutingDecision.objects.get(appeal=a).kind == DecisionKind.PROPOSAL  # location only
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    assert RoutingDecision.objects.filter(appeal=a).count() == 1


def test_database_keeps_one_active_rule_per_category_and_area(org):
    from django.db import IntegrityError, transaction

    DispatchRule.objects.create(category=org.category, lead_unit=org.dept1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DispatchRule.objects.create(category=org.category, lead_unit=org.dept2)
    DispatchRule.objects.create(category=org.category, area=org.street1, lead_unit=org.dept1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DispatchRule.objects.create(category=org.category, area=org.street1, lead_unit=org.dept2)
    DispatchRule.objects.create(category=org.category, lead_unit=org.dept2, active=False)
