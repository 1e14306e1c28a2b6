from django.apps import AppConfig
from django.core import checks


class DonationsConfig(AppConfig):
    name = "donations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import ensure_groups_after_migrate

        post_migrate.connect(ensure_groups_after_migrate, sender=self)
        checks.register(receipt_fonts_installed)


def receipt_fonts_installed(app_configs=None, **kwargs):
    """Every manage.py command that checks (migrate in `make run`, runserver) refuses to go on
    without the receipt PDF's fonts: a receipt with "?" for a donor's name is worse."""
    from .receipts.fonts import FontsMissing, check_fonts

    try:
        check_fonts()
    except FontsMissing as exc:
        return [checks.Error(str(exc), id="donations.E001")]
    return []
