"""Staff roles as groups. Made by a migration, and again after every `flush` (post_migrate),
so a database emptied by tests or by hand still has them.

`Appeal admins`: run appeals, read donations and monthly gifts, refund and resend receipts,
cancel monthly gifts (`donations.cancel_regular_gift`). Refunding is a
permission of its own (`donations.refund_donation`): take it from a user or group and the
refund form and its POST both answer 403.
"""

APPEAL_ADMINS = "Appeal admins"
GROUPS = {
    APPEAL_ADMINS: {
        "appeals": [
            "add_appeal", "change_appeal", "view_appeal",
            "add_designation", "change_designation", "delete_designation", "view_designation",
            "add_suggestedamount", "change_suggestedamount", "delete_suggestedamount",
            "view_suggestedamount",
        ],
        "donations": [
            "view_donation", "view_donationevent", "view_receipt", "view_refund", "view_dispute",
            "view_stripeevent", "refund_donation", "resend_receipt",
            "view_regulargift", "view_regulargiftevent", "cancel_regular_gift",
        ],
    },
}


def ensure_groups(apps, groups=GROUPS) -> None:
    """Create the groups and give them their permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are made after migrations run
        stub = not hasattr(app_config, "models_module")  # a migration's historical app
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in wanted.items():
            perms = Permission.objects.filter(content_type__app_label=app_label,
                                              codename__in=codenames)
            group.permissions.add(*perms)


def ensure_groups_after_migrate(sender, **kwargs) -> None:
    from django.apps import apps as global_apps

    ensure_groups(kwargs.get("apps") or global_apps)
