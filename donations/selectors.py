"""Reads about donations for the faces (the donor's pages): nothing is written here."""

from __future__ import annotations

from donations.models import Donation, RegularGift
from donations.states import PAID


def donation_get_for_thanks(*, donation_id) -> Donation | None:
    """The donation with its appeal and fund, as its thanks page shows it; None if none."""
    try:
        return Donation.objects.select_related("appeal", "designation").get(pk=donation_id)
    except Donation.DoesNotExist:
        return None


def regular_gift_get(*, regular_gift_id) -> RegularGift | None:
    """The monthly gift with its appeal and fund; None if none."""
    try:
        return RegularGift.objects.select_related("appeal", "designation").get(
            pk=regular_gift_id)
    except RegularGift.DoesNotExist:
        return None


def regular_gift_payments(*, regular_gift: RegularGift) -> list[Donation]:
    """The months collected, oldest first, with their receipts: a failed or unpaid attempt is
    not a payment (a refunded or disputed month still is)."""
    return list(
        regular_gift.payments.filter(status__in=PAID).select_related("receipt")
        .order_by("succeeded_at", "created_at")
    )
