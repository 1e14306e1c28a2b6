"""The `Appeal admins` group: run appeals, read donations, refund and resend receipts.

Refunding is a permission of its own (`donations.refund_donation`): take it from a user or
group and the refund form and its POST both answer 403. The `Finance` group is made by the
finance app's migration.
"""

from django.db import migrations

GROUP = "Appeal admins"
PERMISSIONS = {
    "appeals": [
        "add_appeal", "change_appeal", "view_appeal",
        "add_designation", "change_designation", "delete_designation", "view_designation",
        "add_suggestedamount", "change_suggestedamount", "delete_suggestedamount",
        "view_suggestedamount",
    ],
    "donations": [
        "view_donation", "view_donationevent", "view_receipt", "view_refund", "view_dispute",
        "view_stripeevent", "refund_donation", "resend_receipt",
    ],
}


def _ensure_permissions(apps):
    # Permissions are made after migrations run; a fresh database needs them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_group(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label,
                                          codename__in=codenames)
        assert perms.count() == len(codenames), (app_label, codenames)
        group.permissions.add(*perms)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("appeals", "0001_initial"),
        ("donations", "0002_refunds_and_permissions"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
