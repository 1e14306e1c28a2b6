from django.apps import AppConfig


class DonorsConfig(AppConfig):
    """The donor's own page behind the scenes: sign-in links, news consent, Gift Aid
    cancellations (docs/donor-page.md). The pages themselves are in pages/."""

    name = "donors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from donations.services.personal_data import (
            personal_data_erasing,
            personal_data_exporting,
        )

        from .personal_data import erase_donor_records, export_donor_records

        personal_data_exporting.connect(export_donor_records, dispatch_uid="donors.export")
        personal_data_erasing.connect(erase_donor_records, dispatch_uid="donors.erase")
