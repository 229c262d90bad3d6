from django.db import migrations

from minhu.visits.defaults import ensure_domains


def add(apps, schema_editor):
    ensure_domains(apps.get_model("visits", "SatisfactionDomain"), apps.get_model("visits", "ProblemDomain"))


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
