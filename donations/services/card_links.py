"""The link emailed to a monthly gift's donor after a failed month, to its card page: a
signed, timestamped token (django.core.signing, a salt of its own) that names the gift and
nothing else, valid REGULAR_GIFT_CARD_LINK_DAYS days, no password (docs/monthly-gifts.md)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

from donations.models import RegularGift

CARD_LINK_SALT = "lifeline.regular-gift.card-link"


def card_link_token(gift: RegularGift) -> str:
    """The token of the emailed link to the gift's card page."""
    return signing.dumps(str(gift.pk), salt=CARD_LINK_SALT)


def card_link_valid(*, regular_gift_id, token: str) -> bool:
    """Whether `token` is a card link of this gift, signed by us, not older than
    REGULAR_GIFT_CARD_LINK_DAYS days."""
    if not token or len(token) > 500:
        return False
    try:
        named = signing.loads(token, salt=CARD_LINK_SALT,
                              max_age=timedelta(days=settings.REGULAR_GIFT_CARD_LINK_DAYS))
    except signing.BadSignature:  # forged, made for another purpose, or expired
        return False
    return named == str(regular_gift_id)
