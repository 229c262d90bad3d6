"""PostgreSQL only: the character-bigram index that text search narrows by (see
minhu/appeals/search.py, whose function and index names these must stay). On SQLite this
migration does nothing. On a large table it reads every appeal once (timings in
docs/accountability.md)."""

from django.db import migrations

CREATE = [
    # The searchable text of an appeal (ASCII letters folded, the phone without dashes) as the
    # set of its adjacent character pairs: the pairs at odd and at even offsets, each from one
    # left-to-right regular-expression pass ('.' matches newlines too), so the cost is linear in
    # the length (substr(d, i, 2) in a loop walks the UTF-8 text from its start every time). The
    # CTE is used twice, hence computed once. Only built-in functions are called: index
    # expressions must not depend on the search_path.
    r"""
CREATE OR REPLACE FUNCTION minhu_appeal_bigrams(
    subject text, detail text, address text, name text, phone text, code text
) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH t(d) AS (
        SELECT translate(
            concat_ws(E'\n', subject, detail, address, name, replace(phone, '-', ''), code),
            'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    )
    SELECT array_to_tsvector(ARRAY(
        SELECT (regexp_matches(d, '..', 'g'))[1] FROM t
        UNION ALL
        SELECT (regexp_matches(substr(d, 2), '..', 'g'))[1] FROM t
    ))
$$
""",
    """
CREATE INDEX IF NOT EXISTS appeals_appeal_text_bigrams ON appeals_appeal USING gin (
    minhu_appeal_bigrams(subject, detail, address, appellant_name, appellant_phone, code)
)
""",
]
DROP = [
    "DROP INDEX IF EXISTS appeals_appeal_text_bigrams",
    "DROP FUNCTION IF EXISTS minhu_appeal_bigrams(text, text, text, text, text, text)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0004_appeal_updated_closed_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
