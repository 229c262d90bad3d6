"""PostgreSQL only: the event table partitioned by month (minhu/core/partitions.py). The Django
model is unchanged; on SQLite this migration does nothing. It copies every event once (on a
large table: minutes; run it in a maintenance window, docs/operations.md). Not reversed: going
back leaves the table partitioned, which every earlier migration's operations work on too."""

from django.db import migrations


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from minhu.core.partitions import partition_table

        partition_table(schema_editor, "appeals_appealevent")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0010_appeal_attributes"),
        ("routing", "0002_dispatch_rule_unique"),
    ]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
