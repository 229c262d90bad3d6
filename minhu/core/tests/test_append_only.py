"""Append-only rows: refused in Python on every backend, and in PostgreSQL by a trigger."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent
from minhu.appeals.tests.factories import register
from minhu.core.append_only import append_only_models

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database triggers are PostgreSQL's"
)


def test_python_refuses_update_and_delete(org):
    appeal = register(org)
    event = AppealEvent.objects.filter(appeal=appeal).first()
    with pytest.raises(TypeError):
        AppealEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(TypeError):
        event.delete()


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


@postgres_only
def test_every_append_only_table_has_the_trigger():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'minhu_append_only' AND NOT t.tgisinternal"
        )
        covered = {r[0] for r in cur.fetchall()}
    tables = {m._meta.db_table for m in append_only_models()}
    assert {"appeals_appealevent", "evaluation_evaluationevent", "core_configchange"} <= tables
    assert tables <= covered


@postgres_only
def test_postgresql_refuses_raw_update_and_delete_of_events(org):
    appeal = register(org)
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    event = AppealEvent.objects.filter(appeal=appeal).first()
    table = AppealEvent._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET note = 'rewritten' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET created_at = created_at - interval '1 day'")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    # Bypassing the model's manager does not help either.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AppealEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
    event.refresh_from_db()
    assert event.note != "rewritten" and AppealEvent.objects.filter(appeal=appeal).count() == 2
    # The one change the database itself must make: an actor who goes is set to NULL.
    actor_event = AppealEvent.objects.get(appeal=appeal, kind="dispatch")
    _raw(f"UPDATE {table} SET actor_id = NULL WHERE id = %s", [actor_event.pk])
    actor_event.refresh_from_db()
    assert actor_event.actor_id is None and actor_event.kind == "dispatch"
    # ... but not together with anything else.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET actor_id = NULL, note = 'x' WHERE id = %s", [event.pk])


def test_every_event_log_model_is_append_only():
    """A new app's event or change log must subclass AppendOnlyModel (then the trigger and the
    Python guard cover it without a migration); this catches one that does not."""
    from django.apps import apps

    covered = set(append_only_models())
    logs = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("minhu.")
        and m.__name__.endswith(("Event", "Change", "Unmasking", "KeyUse"))
    ]
    assert len(logs) >= 9
    assert [m.__name__ for m in logs if m not in covered] == []
