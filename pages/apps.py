from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages a donor sees (a face, as pretix's presale/): no models, nothing written here;
    it reads through the domain apps' selectors and calls their services."""

    name = "pages"
    verbose_name = "Donor pages"
