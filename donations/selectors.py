"""Reads about donations for the faces (the donor's pages): nothing is written here."""

from __future__ import annotations

from donations.models import Donation


def donation_get_for_thanks(*, donation_id) -> Donation | None:
    """The donation with its appeal and fund, as its thanks page shows it; None if none."""
    try:
        return Donation.objects.select_related("appeal", "designation").get(pk=donation_id)
    except Donation.DoesNotExist:
        return None
