"""A monthly gift's history: one append-only RegularGiftEvent row per status change (and per
card update or email), written in the transaction that makes the change (STYLE §15).

Kept apart from regular_gifts.py so that stripe_events.py (which regular_gifts.py imports)
can log the first month's activation too.
"""

from __future__ import annotations

from donations.models import RegularGift, RegularGiftEvent

Kind = RegularGiftEvent.Kind


def regular_gift_log_event(*, regular_gift: RegularGift, kind: str, source: str,
                           from_status: str = "", to_status: str = "", stripe_event: str = "",
                           actor=None, data: dict | None = None) -> RegularGiftEvent:
    """Append a row to the gift's history. Call inside the transaction of the change."""
    return RegularGiftEvent.objects.create(
        regular_gift_id=regular_gift.pk, kind=kind, source=source, from_status=from_status,
        to_status=to_status, stripe_event=stripe_event, actor=actor, data=data or {},
    )
