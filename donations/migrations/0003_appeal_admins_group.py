"""The `Appeal admins` group (see donations/roles.py, which post_migrate also runs)."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from donations.roles import ensure_groups

    ensure_groups(apps)


def delete_groups(apps, schema_editor):
    from donations.roles import GROUPS

    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("appeals", "0001_initial"),
        ("donations", "0002_refunds_and_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
