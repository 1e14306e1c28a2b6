from django.db import migrations

FINANCE_GROUP = "Finance"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=FINANCE_GROUP)


class Migration(migrations.Migration):
    """SPEC: the `Finance` group is made by a migration (its view permissions are granted
    after migrate, when permissions exist: finance.apps)."""

    dependencies = [
        ("finance", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
