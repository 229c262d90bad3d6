"""Seeds the default lists (see minhu/evaluation/defaults.py)."""

from django.db import migrations

from minhu.evaluation.defaults import seed_default_lists


def seed(apps, schema_editor):
    seed_default_lists(
        apps.get_model("evaluation", "HarmfulConduct"),
        apps.get_model("evaluation", "NegativeIndicator"),
        apps.get_model("evaluation", "RedBlackRule"),
    )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
