"""Time-limit policies: the most specific row wins (category+urgency > category > parent
category > urgency > default row > built-in defaults), and what that does to an appeal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from minhu.appeals import actions
from minhu.appeals.models import Appeal
from minhu.appeals.tests.factories import at, register
from minhu.appeals.verbs import _common as verbs_common
from minhu.categories.models import Category
from minhu.deadlines.models import Measure, Step, TimeLimitPolicy
from minhu.deadlines.policies import DEFAULT_LIMITS, due_at, limit_for

WD, ND, WH, NH = (
    Measure.WORKING_DAYS,
    Measure.NATURAL_DAYS,
    Measure.WORKING_HOURS,
    Measure.NATURAL_HOURS,
)


def policy(step=Step.RESOLVE, category=None, urgency="", amount=1, measure=WD):
    return TimeLimitPolicy.objects.create(
        step=step, category=category, urgency=urgency, amount=Decimal(amount), measure=measure
    )


@pytest.fixture
def sibling(org):
    """Another second-level category under the same first-level one, without rows of its own."""
    return Category.objects.create(name="道路破损", code="road", parent=org.top_category)


def test_built_in_defaults(org):
    assert limit_for(Step.CLAIM) == (Decimal(2), WH)
    assert limit_for(Step.CONTACT) == (Decimal(24), NH)
    assert limit_for(Step.RESOLVE, org.category) == (Decimal(3), WD)
    assert limit_for(Step.REPORT) == (Decimal(1), WD)
    assert limit_for(Step.ANSWER) == (Decimal(7), ND)
    assert limit_for(Step.CLAIM, urgency="urgent") == (Decimal(1), NH)
    assert limit_for(Step.RESOLVE, urgency="critical") == (Decimal(24), NH)
    assert limit_for(Step.REPORT, urgency="critical") == DEFAULT_LIMITS[Step.REPORT]


def test_most_specific_row_wins(org, sibling):
    policy(amount=5)  # default row
    policy(urgency="urgent", amount=2)  # urgency alone
    policy(category=org.top_category, amount=4)  # first-level category
    policy(category=org.category, amount=6)  # the category
    policy(category=org.category, urgency="urgent", amount=12, measure=NH)  # both
    cat = org.category
    assert limit_for(Step.RESOLVE, cat, "urgent") == (Decimal(12), NH)
    assert limit_for(Step.RESOLVE, cat, "normal") == (Decimal(6), WD)
    assert limit_for(Step.RESOLVE, cat, "critical") == (Decimal(6), WD)
    assert limit_for(Step.RESOLVE, sibling, "normal") == (Decimal(4), WD)  # parent's row
    assert limit_for(Step.RESOLVE, sibling, "urgent") == (Decimal(4), WD)  # parent > urgency
    assert limit_for(Step.RESOLVE, org.top_category, "normal") == (Decimal(4), WD)
    assert limit_for(Step.RESOLVE, None, "urgent") == (Decimal(2), WD)
    assert limit_for(Step.RESOLVE, None, "normal") == (Decimal(5), WD)
    assert limit_for(Step.CLAIM, cat, "normal") == DEFAULT_LIMITS[Step.CLAIM]  # other step


def test_parent_row_with_urgency_beats_parent_row(org, sibling):
    policy(category=org.top_category, amount=4)
    policy(category=org.top_category, urgency="urgent", amount=1)
    assert limit_for(Step.RESOLVE, sibling, "urgent") == (Decimal(1), WD)
    assert limit_for(Step.RESOLVE, sibling, "normal") == (Decimal(4), WD)


def test_default_row_does_not_slow_down_urgent_appeals(org):
    policy(amount=5)
    policy(step=Step.REPORT, amount=2)
    # Built-in urgent limit for RESOLVE (1 working day) beats the generic default row...
    assert limit_for(Step.RESOLVE, None, "urgent") == (Decimal(1), WD)
    # ...but where there is no built-in urgent limit (REPORT), the admin's default row applies.
    assert limit_for(Step.REPORT, None, "urgent") == (Decimal(2), WD)
    assert limit_for(Step.REPORT, None, "normal") == (Decimal(2), WD)


def test_due_at_applies_the_measure(org):
    policy(category=org.category, amount=2)
    start = at(2025, 9, 26, 10, 0)  # Friday; Sunday 09-28 is a make-up working day
    assert due_at(Step.RESOLVE, start, org.category) == at(2025, 9, 29, 17, 30)
    policy(step=Step.CLAIM, category=org.category, amount=3, measure=NH)
    assert due_at(Step.CLAIM, start, org.category) == start + dt.timedelta(hours=3)


def test_dispatch_uses_the_policy_and_extension_crosses_national_day(org, monkeypatch):
    policy(category=org.category, amount=2)
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 9, 26, 10, 0))
    a = register(org)
    actions.classify(a, actor=org.dispatcher, category=org.category)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(a, actor=org.s1_handler)
    a = Appeal.objects.get(pk=a.pk)
    # Fri 09-26 + 2 working days: Sun 09-28 (make-up), Mon 09-29.
    assert a.resolve_due_at == at(2025, 9, 29, 17, 30)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="国庆前无法完工")
    actions.decide_extension(ext, actor=org.dispatcher, approve=True)
    a = Appeal.objects.get(pk=a.pk)
    # + 2 working days: Tue 09-30, then 10-01..10-08 off, Thu 10-09.
    assert a.resolve_due_at == at(2025, 10, 9, 17, 30)
    assert a.current_due_at == a.contact_due_at  # contact still first; not reached yet
    actions.contact_appellant(a, actor=org.s1_handler, note="已电话联系")
    assert Appeal.objects.get(pk=a.pk).current_due_at == at(2025, 10, 9, 17, 30)


# --- validation of policy rows --------------------------------------------------------------


def test_duplicate_rows_with_null_category_are_refused(org):
    policy(urgency="")
    dup = TimeLimitPolicy(step=Step.RESOLVE, category=None, urgency="", amount=2, measure=WD)
    with pytest.raises(ValidationError) as exc:
        dup.clean()
    assert "__all__" in exc.value.message_dict
    # A different urgency or step is not a clash; the row itself is not a clash with itself.
    TimeLimitPolicy(step=Step.RESOLVE, urgency="urgent", amount=2, measure=WD).clean()
    TimeLimitPolicy(step=Step.CLAIM, amount=2, measure=WD).clean()
    TimeLimitPolicy.objects.get().clean()


def test_duplicate_rows_with_a_category_are_refused(org):
    policy(category=org.category)
    with pytest.raises(ValidationError):
        TimeLimitPolicy(step=Step.RESOLVE, category=org.category, amount=2, measure=WD).clean()


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_amount_must_be_positive(org, amount):
    row = TimeLimitPolicy(step=Step.RESOLVE, amount=Decimal(amount), measure=WD)
    with pytest.raises(ValidationError) as exc:
        row.clean()
    assert "amount" in exc.value.message_dict


def test_urgency_must_be_known(org):
    with pytest.raises(ValidationError) as exc:
        TimeLimitPolicy(step=Step.RESOLVE, urgency="asap", amount=1, measure=WD).clean()
    assert "urgency" in exc.value.message_dict


def test_full_clean_through_the_admin_form(org):
    from minhu.deadlines.admin import TimeLimitPolicyForm

    policy()
    form = TimeLimitPolicyForm(
        data={"step": Step.RESOLVE, "category": "", "urgency": "", "amount": "3", "measure": WD}
    )
    assert not form.is_valid()
    form = TimeLimitPolicyForm(
        data={
            "step": Step.RESOLVE,
            "category": "",
            "urgency": "urgent",
            "amount": "1",
            "measure": WD,
        }
    )
    assert form.is_valid(), form.errors
    form.save()
    assert TimeLimitPolicy.objects.count() == 2


# --- time limits per work-item kind ----------------------------------------------------------


@pytest.fixture
def decision_kind():
    from minhu.appeals import kinds
    from minhu.deadlines.models import WORK_KINDS

    kind = kinds.register_kind(
        kinds.WorkKind(code="test_limit_kind", label="测试类型", needs_contact=False)
    )
    yield kind
    kinds._KINDS.pop(kind.code)
    WORK_KINDS.pop(kind.code)


def test_a_kinds_rows_win_over_every_kinds_rows(org, decision_kind):
    policy(category=org.category, urgency="urgent", amount=2)
    policy(category=org.category, amount=3)
    kind_default = TimeLimitPolicy.objects.create(
        step=Step.RESOLVE, kind=decision_kind.code, amount=Decimal(10), measure=WD
    )
    # The kind's own default row beats even the category+urgency row for every kind ...
    assert limit_for(Step.RESOLVE, org.category, kind=decision_kind.code) == (Decimal(10), WD)
    # ... and leaves the other kinds (the resident appeal) with today's rules.
    assert limit_for(Step.RESOLVE, org.category, kind="appeal") == (Decimal(3), WD)
    assert limit_for(Step.RESOLVE, org.category, "urgent", "appeal") == (Decimal(2), WD)
    # Within the kind, the most specific row still wins.
    policy_kind = TimeLimitPolicy.objects.create(
        step=Step.RESOLVE,
        kind=decision_kind.code,
        category=org.category,
        amount=Decimal(7),
        measure=WD,
    )
    assert limit_for(Step.RESOLVE, org.category, kind=decision_kind.code) == (Decimal(7), WD)
    # A kind without a row for a step falls back to the rows for every kind.
    assert limit_for(Step.CLAIM, org.category, kind=decision_kind.code) == (Decimal(2), WH)
    policy_kind.delete()
    kind_default.delete()
    assert limit_for(Step.RESOLVE, org.category, kind=decision_kind.code) == (Decimal(3), WD)


def test_a_kinds_default_row_does_not_slow_down_critical_items(org, decision_kind):
    TimeLimitPolicy.objects.create(
        step=Step.RESOLVE, kind=decision_kind.code, amount=Decimal(10), measure=WD
    )
    policy(urgency="critical", amount=5, measure=NH)
    # the kind's plain default is passed over; the next row (critical, every kind) wins
    assert limit_for(Step.RESOLVE, urgency="critical", kind=decision_kind.code) == (
        Decimal(5),
        NH,
    )


def test_dispatch_sets_the_kinds_own_limit(org, decision_kind, monkeypatch):
    TimeLimitPolicy.objects.create(
        step=Step.RESOLVE, kind=decision_kind.code, amount=Decimal(10), measure=WD
    )
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 3, 3, 10, 0))  # a Monday
    item = register(org, kind=decision_kind.code, phone="")
    plain = register(org)
    for a in (item, plain):
        actions.classify(a, actor=org.dispatcher, category=org.category)
        actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    # 10 working days from Mon 03-03 end on Mon 03-17; the appeal keeps its 3 (Thu 03-06).
    assert Appeal.objects.get(pk=item.pk).resolve_due_at == at(2025, 3, 17, 17, 30)
    assert Appeal.objects.get(pk=plain.pk).resolve_due_at == at(2025, 3, 6, 17, 30)


def test_a_kind_must_be_registered(org):
    row = TimeLimitPolicy(step=Step.RESOLVE, kind="no_such_kind", amount=Decimal(1), measure=WD)
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "kind" in exc.value.message_dict
