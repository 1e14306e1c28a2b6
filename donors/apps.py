from django.apps import AppConfig


class DonorsConfig(AppConfig):
    """The donor's own page behind the scenes: sign-in links, news consent, Gift Aid
    cancellations (docs/donor-page.md). The pages themselves are in pages/."""

    name = "donors"
    default_auto_field = "django.db.models.BigAutoField"
