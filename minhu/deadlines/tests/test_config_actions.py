"""The verbs of time-limit policies and calendar overrides, and their audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.deadlines import actions
from minhu.deadlines.calendar import WorkCalendar
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy

pytestmark = pytest.mark.django_db


def rows_for(obj) -> list[ConfigChange]:
    return list(
        ConfigChange.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).order_by("id")
    )


def test_create_update_delete_time_limit(org):
    row = actions.create_time_limit(
        actor=org.admin, step="resolve", amount="5", measure="working_days"
    )
    assert row.category is None and row.urgency == "" and row.amount == Decimal("5")
    actions.update_time_limit(row, actor=org.admin, amount=Decimal("6.5"))
    actions.update_time_limit(row, actor=org.admin, amount="6.50")  # the same: no row
    pk = row.pk
    actions.delete_time_limit(row, actor=org.admin)
    assert not TimeLimitPolicy.objects.filter(pk=pk).exists()
    rows = list(ConfigChange.objects.filter(model="deadlines.timelimitpolicy", object_id=pk))
    assert [(r.action, r.changes) for r in sorted(rows, key=lambda r: r.pk)] == [
        (
            "create",
            {
                "step": [None, "resolve"],
                "amount": [None, "5.00"],
                "measure": [None, "working_days"],
            },
        ),
        ("update", {"amount": ["5.00", "6.50"]}),
        (
            "delete",
            {
                "step": ["resolve", None],
                "amount": ["6.50", None],
                "measure": ["working_days", None],
            },
        ),
    ]
    assert all(r.actor == org.admin for r in rows)


def test_one_rule_per_step_category_and_urgency(org):
    actions.create_time_limit(actor=org.admin, step="resolve", amount=5, measure="working_days")
    # The default row (NULL category) exists once, on every database.
    with pytest.raises(InvalidInput) as exc:
        actions.create_time_limit(actor=org.admin, step="resolve", amount=4, measure="natural_days")
    assert exc.value.code == "duplicate_rule"
    actions.create_time_limit(
        actor=org.admin, step="resolve", amount=2, measure="working_days", urgency="urgent"
    )
    specific = actions.create_time_limit(
        actor=org.admin, step="resolve", amount=3, measure="working_days", category=org.category
    )
    with pytest.raises(InvalidInput) as exc:
        actions.update_time_limit(specific, actor=org.admin, category=None)
    assert exc.value.code == "duplicate_rule"
    assert TimeLimitPolicy.objects.get(pk=specific.pk).category == org.category
    assert TimeLimitPolicy.objects.count() == 3


def test_database_constraint_backs_the_check(org, monkeypatch):
    """Two admins at once both pass the check; the constraint refuses the second, reported the
    same way, and the transaction stays usable."""
    if not connection.features.supports_nulls_distinct_unique_constraints:
        pytest.skip("SQLite drops the (step, category, urgency) constraint (nulls_distinct=False)")
    actions.create_time_limit(
        actor=org.admin, step="claim", amount=2, measure="working_hours", category=org.category
    )
    monkeypatch.setattr(actions, "_check_limit", lambda *a, **k: None)
    with pytest.raises(InvalidInput) as exc:
        actions.create_time_limit(
            actor=org.admin, step="claim", amount=3, measure="working_hours", category=org.category
        )
    assert exc.value.code == "duplicate_rule"
    assert TimeLimitPolicy.objects.count() == 1
    assert ConfigChange.objects.filter(model="deadlines.timelimitpolicy").count() == 1


@pytest.mark.parametrize(
    "kwargs, code, field",
    [
        ({"amount": 0}, "not_positive", "amount"),
        ({"amount": "-1"}, "not_positive", "amount"),
        ({"amount": 400, "measure": "working_days"}, "too_long", "amount"),
        ({"amount": "1.234"}, "max_decimal_places", "amount"),
        ({"step": "lunch"}, "invalid_choice", "step"),
        ({"measure": "weeks"}, "invalid_choice", "measure"),
        ({"urgency": "someday"}, "invalid_choice", "urgency"),
    ],
)
def test_time_limit_input_rules(org, kwargs, code, field):
    values = {"step": "claim", "amount": 2, "measure": "working_hours", **kwargs}
    with pytest.raises(InvalidInput) as exc:
        actions.create_time_limit(actor=org.admin, **values)
    assert exc.value.code == code and exc.value.details["field"] == field
    assert not TimeLimitPolicy.objects.exists() and not ConfigChange.objects.exists()


def test_calendar_overrides(org):
    day = dt.date(2031, 2, 8)  # a Saturday, made a working day
    row = actions.create_calendar_override(
        actor=org.admin, date=day, is_workday=True, name="春节调休上班"
    )
    assert WorkCalendar(day, days=1).is_workday(day)
    with pytest.raises(InvalidInput) as exc:
        actions.create_calendar_override(actor=org.admin, date=day, is_workday=False)
    assert exc.value.code == "duplicate_date" and exc.value.details["field"] == "date"
    actions.update_calendar_override(row, actor=org.admin, is_workday=False, name="")
    assert not WorkCalendar(day, days=1).is_workday(day)
    pk = row.pk
    actions.delete_calendar_override(row, actor=org.admin)
    assert not CalendarOverride.objects.exists()
    rows = sorted(
        ConfigChange.objects.filter(model="deadlines.calendaroverride", object_id=pk),
        key=lambda r: r.pk,
    )
    assert [(r.action, r.changes) for r in rows] == [
        (
            "create",
            {
                "date": [None, "2031-02-08"],
                "is_workday": [None, True],
                "name": [None, "春节调休上班"],
            },
        ),
        ("update", {"is_workday": [True, False], "name": ["春节调休上班", ""]}),
        ("delete", {"date": ["2031-02-08", None], "is_workday": [False, None]}),
    ]


def test_non_admins_change_nothing(org):
    row = actions.create_time_limit(
        actor=org.admin, step="resolve", amount=5, measure="working_days"
    )
    day = actions.create_calendar_override(
        actor=org.admin, date=dt.date(2031, 1, 2), is_workday=False
    )
    before = ConfigChange.objects.count()
    for user in (org.dispatcher, org.district_leader, org.callback):
        attempts = [
            lambda user=user: actions.create_time_limit(
                actor=user, step="claim", amount=1, measure="working_hours"
            ),
            lambda user=user: actions.update_time_limit(row, actor=user, amount=9),
            lambda user=user: actions.delete_time_limit(row, actor=user),
            lambda user=user: actions.create_calendar_override(
                actor=user, date=dt.date(2031, 1, 3), is_workday=False
            ),
            lambda user=user: actions.update_calendar_override(day, actor=user, is_workday=True),
            lambda user=user: actions.delete_calendar_override(day, actor=user),
        ]
        for attempt in attempts:
            with pytest.raises(PermissionDenied):
                attempt()
    assert TimeLimitPolicy.objects.get().amount == 5
    assert not CalendarOverride.objects.get().is_workday
    assert ConfigChange.objects.count() == before


def test_a_rule_per_work_item_kind(org):
    actions.create_time_limit(actor=org.admin, step="resolve", amount=5, measure="working_days")
    own = actions.create_time_limit(
        actor=org.admin, step="resolve", amount=10, measure="working_days", kind="appeal"
    )
    assert own.kind == "appeal"
    with pytest.raises(InvalidInput) as exc:
        actions.create_time_limit(
            actor=org.admin, step="resolve", amount=9, measure="working_days", kind="appeal"
        )
    assert exc.value.code == "duplicate_rule"
    with pytest.raises(InvalidInput) as exc:
        actions.create_time_limit(
            actor=org.admin, step="resolve", amount=9, measure="working_days", kind="nope"
        )
    assert (exc.value.code, exc.value.details["field"]) == ("invalid_choice", "kind")
    with pytest.raises(InvalidInput) as exc:  # back to every kind: the first rule's place
        actions.update_time_limit(own, actor=org.admin, kind=None)
    assert exc.value.code == "duplicate_rule"
    assert TimeLimitPolicy.objects.get(pk=own.pk).kind == "appeal"
