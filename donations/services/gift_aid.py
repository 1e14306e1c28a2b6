"""A donor's Gift Aid declaration cancelled: what it changes on their monthly gifts.

HMRC: a cancellation affects future donations only (DOMAIN.md, "Rules"). The months already
collected keep their declaration and stay claimable; a month collected after it is made
without Gift Aid (regular_gifts._new_month copies the declaration only while the gift has
`gift_aid`), so finance's schedule never sees it. The gift's `declaration` stays: it is the
record of what the donor declared, and when.
"""

from __future__ import annotations

import logging

from django.db import transaction

from donations.models import RegularGift

logger = logging.getLogger(__name__)


def regular_gifts_stop_gift_aid(*, email: str) -> list[str]:
    """Take Gift Aid off every monthly gift of `email` (any case) for the months to come.

    Each gift's row is locked, as a month being recorded locks it: a month recorded before
    keeps its Gift Aid, one recorded after has none. Returns the ids of the gifts changed.
    """
    changed = []
    with transaction.atomic():
        gifts = RegularGift.objects.select_for_update().filter(
            email__iexact=email, gift_aid=True).order_by("pk")
        for gift in gifts:
            gift.gift_aid = False
            gift.save(update_fields=["gift_aid", "updated_at"])
            changed.append(str(gift.pk))
    if changed:
        logger.info("Gift Aid stopped on monthly gifts", extra={"regular_gifts": changed})
    return changed
