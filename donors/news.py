"""The question a donor is asked about news from the charity: its wording, versioned (the
version and the text shown are kept with each answer)."""

from django.conf import settings
from django.utils.translation import gettext as _

NEWS_WORDING_VERSION = "2026-12"


def news_wording() -> tuple[str, str]:
    """(version, wording) as the donor reads it, in the active language."""
    return NEWS_WORDING_VERSION, _(
        "I would like to hear from %(charity)s by email about its appeals and its work. I can "
        "change my mind at any time on this page.") % {"charity": settings.CHARITY_NAME}
