"""Append-only in the database too: on PostgreSQL every table of an `AppendOnlyModel` (the event
logs, ratings, configuration changes, routing decisions) gets a trigger that refuses UPDATE and
DELETE, whoever sends them (a raw SQL session, a bulk `QuerySet.update` that bypassed the model,
another program). `AppendOnlyModel` refuses the same in Python on every backend.

One exception: a foreign key declared `on_delete=SET_NULL` (the actor of an event) may be set to
NULL, as the database must when the row it points at goes; nothing else in the row may change.

Installed after every `migrate` (the `post_migrate` signal, see `CoreConfig.ready`), so a new
append-only model is covered without a migration of its own; idempotent."""

from __future__ import annotations

from django.apps import apps
from django.db import connections, models

FUNCTION = "minhu_append_only"
TRIGGER = "minhu_append_only"

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb;
    n jsonb;
    c text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'minhu: rows of % are append-only (DELETE refused)', TG_TABLE_NAME
            USING HINT = 'Record a new event instead of changing or removing one.';
    END IF;
    o := to_jsonb(OLD);
    n := to_jsonb(NEW);
    IF TG_NARGS > 0 THEN
        FOR i IN 0 .. TG_NARGS - 1 LOOP
            c := TG_ARGV[i];
            IF n -> c = 'null'::jsonb THEN
                o := o - c;
                n := n - c;
            END IF;
        END LOOP;
    END IF;
    IF o IS DISTINCT FROM n THEN
        RAISE EXCEPTION 'minhu: rows of % are append-only (UPDATE refused)', TG_TABLE_NAME
            USING HINT = 'Record a new event instead of changing or removing one.';
    END IF;
    RETURN NEW;
END
$$;
"""


def append_only_models() -> list[type[models.Model]]:
    from .models import AppendOnlyModel

    return [
        m
        for m in apps.get_models()
        if issubclass(m, AppendOnlyModel) and not m._meta.abstract and not m._meta.proxy
    ]


def nullable_on_delete_columns(model: type[models.Model]) -> list[str]:
    """Columns the database may set to NULL when the row they point at is deleted."""
    return [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.remote_field.on_delete is models.SET_NULL
    ]


def install(using: str = "default") -> list[str]:
    """Create or refresh the trigger on every append-only table (PostgreSQL only). Returns the
    tables covered."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    tables = []
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        cur.execute(FUNCTION_SQL)
        for model in append_only_models():
            table = model._meta.db_table
            if table not in existing:
                continue
            args = ", ".join(f"'{c}'" for c in nullable_on_delete_columns(model))
            qtable = connection.ops.quote_name(table)
            cur.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {qtable}")
            cur.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {qtable} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}({args})"
            )
            tables.append(table)
    return tables


def on_post_migrate(sender, using: str = "default", **kwargs) -> None:
    install(using)
