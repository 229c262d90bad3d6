"""Due state derived at query time from current_due_at (never stored)."""

from __future__ import annotations

import datetime as dt

import pytest

from minhu.appeals.models import Appeal
from minhu.appeals.queries import filter_due_state, with_due_state
from minhu.appeals.verbs import _common as verbs_common
from minhu.core.errors import InvalidInput

from .factories import at, closed, dispatched, in_progress, register


@pytest.fixture
def appeals(org, monkeypatch):
    """At 2025-03-10 (Mon) 10:00: one claim due at 12:00 (due soon), one whose contact is due
    Tue 10:00 (due soon at 24 h, on time at 12 h) and one overdue; a new and a closed one."""
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 3, 10, 10, 0))
    soon = dispatched(org)
    later = in_progress(org)
    monkeypatch.setattr(verbs_common, "_now", lambda: at(2025, 3, 7, 10, 0))
    late = dispatched(org)
    new = register(org)
    done = closed(org)
    return {"soon": soon, "later": later, "late": late, "new": new, "done": done}


NOW = at(2025, 3, 10, 11, 0)


def states(qs) -> dict[int, str]:
    return dict(with_due_state(qs, NOW).values_list("pk", "due_state"))


def test_annotation(appeals):
    got = states(Appeal.objects.all())
    names = {a.pk: k for k, a in appeals.items()}
    assert {names[pk]: s for pk, s in got.items()} == {
        "soon": "due_soon",
        "later": "due_soon",
        "late": "overdue",
        "new": "",
        "done": "",
    }


def test_annotation_matches_the_model_method(appeals):
    for a in with_due_state(Appeal.objects.all(), NOW):
        assert a.due_state == Appeal.objects.get(pk=a.pk).due_state(NOW)


def test_window_follows_the_setting(appeals, settings):
    settings.MINHU_DUE_SOON_HOURS = 12
    got = states(Appeal.objects.filter(pk=appeals["later"].pk))
    assert got == {appeals["later"].pk: "on_time"}


@pytest.mark.parametrize(
    "state, names",
    [
        ("overdue", {"late"}),
        ("due_soon", {"soon", "later"}),
        ("on_time", set()),
        ("none", {"new", "done"}),
    ],
)
def test_filter(appeals, state, names):
    got = set(filter_due_state(Appeal.objects.all(), state, NOW).values_list("pk", flat=True))
    assert got == {appeals[n].pk for n in names}


def test_filter_combines_with_the_annotation_and_scopes(appeals, org):
    from minhu.appeals.access import appeals_visible_to

    qs = filter_due_state(with_due_state(appeals_visible_to(org.s2_handler), NOW), "overdue", NOW)
    assert not qs.exists()
    qs = filter_due_state(with_due_state(appeals_visible_to(org.s1_handler), NOW), "overdue", NOW)
    assert [a.due_state for a in qs] == ["overdue"]


def test_default_now(appeals):
    # In real time (after 2025) every running clock of these appeals is long past.
    assert set(filter_due_state(Appeal.objects.all(), "overdue").values_list("pk", flat=True)) == {
        appeals[n].pk for n in ("soon", "later", "late")
    }
    assert dt.datetime.now(dt.UTC) > NOW


def test_unknown_state_is_invalid_input(db):
    with pytest.raises(InvalidInput) as exc:
        filter_due_state(Appeal.objects.all(), "someday")
    assert exc.value.details["field"] == "due_state"
