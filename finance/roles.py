"""The Finance group: made by a migration; its admin "view" permissions granted after every
migrate (post_migrate, connected in finance/apps.py), since permissions exist only then."""

from django.contrib.auth.models import Group, Permission

FINANCE_GROUP = "Finance"


def finance_group_grant_view_permissions(sender=None, using="default", **kwargs) -> None:
    """post_migrate: the Finance group may view finance's records and donations in admin."""
    group, _ = Group.objects.using(using).get_or_create(name=FINANCE_GROUP)
    perms = Permission.objects.using(using).filter(
        content_type__app_label__in=["finance", "donations"], codename__startswith="view_",
    )
    group.permissions.add(*perms)
