"""A donation's status changes: locked, checked against the table, logged.

Every status change goes through `transition`, called on a donation locked by
`lock_donation` inside the caller's transaction. It is a no-op when the donation is there
already, checks the move against `donations.states.ALLOWED_TRANSITIONS`, and writes a
`DonationEvent` audit row. The paid states (succeeded, partially_refunded, refunded,
disputed) are *derived* from what Stripe reported (`settled_status`: refunded amount,
disputes), so events applied in any order, or twice, end in the same state.

An illegal move is handled two ways (STYLE §4):
- Stripe's word about a move (a late `payment_failed` after `succeeded`, a `canceled` after
  the money was taken): ignored and logged; `transition` answers False.
- a move our own code asks for deliberately, after checking the state under the lock (the
  donor tries another card, a decline, an abandoned gift expires): `strict=True`, and an
  illegal move raises `IllegalTransition`, which rolls the caller's transaction back. It can
  only mean a bug: the callers check the state first, so today it is never raised.
"""

from __future__ import annotations

import logging

from django.db import transaction

from appeals.selectors import appeal_totals_changed
from donations.models import Donation, DonationEvent
from donations.states import ALLOWED_TRANSITIONS, DISPUTE_RESOLVED_FOR_US, PAID, EventKind, S

logger = logging.getLogger(__name__)


class IllegalTransition(Exception):
    """A move that the transition table forbids, asked for deliberately (`strict=True`)."""

    def __init__(self, donation: Donation, current: str, target: str):
        super().__init__(f"donation {donation.pk}: {current} -> {target} is not allowed")
        self.current, self.target = current, target


def lock_donation(donation_id) -> Donation:
    """The donation, its row locked until the caller's transaction ends."""
    return Donation.objects.select_for_update().get(pk=donation_id)


def log_event(donation, *, kind, source, from_status="", to_status="", stripe_event="",
              actor=None, message="", data=None) -> None:
    """An audit row in the donation's history (kinds: donations.states.EventKind)."""
    DonationEvent.objects.create(
        donation=donation, kind=kind, source=source, from_status=from_status,
        to_status=to_status, stripe_event=stripe_event, actor=actor, message=message[:500],
        data=data or {},
    )


def transition(donation: Donation, target: str, *, source: str, stripe_event: str = "",
               actor=None, message: str = "", strict: bool = False) -> bool:
    """Move a locked donation to `target`; False when already there or the move is illegal.

    :raises IllegalTransition: `strict` and the table forbids the move (nothing written).
    """
    current = donation.status
    if current == target:
        return False
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        if strict:
            raise IllegalTransition(donation, current, target)
        logger.warning(
            "ignored illegal donation transition %s -> %s", current, target,
            extra={"donation_id": str(donation.pk), "stripe_event": stripe_event},
        )
        return False
    donation.status = target
    donation.save(update_fields=["status", "updated_at"])
    totals_changed(donation)
    log_event(donation, kind=EventKind.STATUS, source=source, from_status=current,
              to_status=target, stripe_event=stripe_event, actor=actor, message=message)
    return True


def totals_changed(donation: Donation) -> None:
    """The appeal's cached totals are forgotten when the transaction commits."""
    appeal_id = donation.appeal_id
    transaction.on_commit(lambda: appeal_totals_changed(appeal_id), robust=True)


def settled_status(donation: Donation) -> str:
    """The paid state that the recorded refunds and disputes imply."""
    if donation.disputes.exclude(status__in=DISPUTE_RESOLVED_FOR_US).exists():
        return S.DISPUTED
    if donation.refunded_amount >= donation.amount:
        return S.REFUNDED
    if donation.refunded_amount > 0:
        return S.PARTIALLY_REFUNDED
    return S.SUCCEEDED


def resettle(donation: Donation, *, source: str, stripe_event: str = "", actor=None,
             message: str = "") -> None:
    """A paid donation moved to the state its refunds and disputes now imply."""
    if donation.status in PAID:
        transition(donation, settled_status(donation), source=source,
                   stripe_event=stripe_event, actor=actor, message=message)
