from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from finance.roles import finance_group_grant_view_permissions

        # Permissions exist only after post_migrate, so the group (made by a migration) gets
        # its admin "view" permissions here, every migrate, idempotently.
        post_migrate.connect(finance_group_grant_view_permissions, sender=self)
