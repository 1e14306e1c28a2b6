"""The one vocabulary of a donation's life: every app reads it from here.

A donation's statuses (`Status`, the model's TextChoices) and the sets other apps ask about,
the transition table that `donations.services.transitions.transition` enforces, the dispute
and refund statuses that count, and the kinds of `DonationEvent` history rows. Nothing here
writes; it imports only the donation models.
"""

from __future__ import annotations

from django.db import models

from donations.models import Donation

Status = S = Donation.Status

# Money taken: succeeded, and whatever a refund or a dispute made of it since.
PAID = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED})
# Not paid yet, and the donor may still pay (another card after a decline).
OPEN = frozenset({S.PENDING, S.FAILED})
# What an admin may refund (a disputed gift's money is Stripe's to give back).
REFUNDABLE = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})
# What the appeal totals and the attribution report count (less refunds); a disputed gift
# counts again once the dispute is won.
COUNTED = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.FAILED, S.CANCELED} | PAID),
    # A donor may try another card after a decline.
    S.FAILED: frozenset({S.PENDING, S.CANCELED} | PAID),
    # Stripe's word wins: money taken on a PaymentIntent we thought canceled is recorded.
    S.CANCELED: PAID,
    S.SUCCEEDED: PAID,
    S.PARTIALLY_REFUNDED: PAID,
    S.REFUNDED: PAID,
    S.DISPUTED: PAID,
}

# Stripe's dispute statuses. After these the gift counts again: won, an inquiry closed, or a
# dispute that Stripe's prevention resolved before it became one.
DISPUTE_LOST = "lost"
DISPUTE_RESOLVED_FOR_US = frozenset({"won", "warning_closed", "prevented"})
DISPUTE_CLOSED = DISPUTE_RESOLVED_FOR_US | {DISPUTE_LOST}

# Refund rows: a refund the admin form has asked Stripe for, with no answer yet.
REFUND_REQUESTED = "requested"
# Refunds Stripe has taken on (pending ones are on their way; Stripe's balance already shows
# them): they count in `refunded_amount` and in finance's reconciliation. Failed and canceled
# ones do not.
REFUND_COUNTS = frozenset({"succeeded", "pending", "requires_action"})


class EventKind(models.TextChoices):
    """What a DonationEvent row records (its `kind`)."""

    CREATED = "created"
    STATUS = "status"
    PAYMENT_INTENT_REPLACED = "payment_intent_replaced"
    REFUND = "refund"
    REFUND_REQUESTED = "refund_requested"
    DISPUTE = "dispute"
    RECEIPT_ISSUED = "receipt_issued"
    RECEIPT_SENT = "receipt_sent"
    RECEIPT_RESENT = "receipt_resent"
    RECEIPT_RESEND_REQUESTED = "receipt_resend_requested"
    PERSONAL_DATA_EXPORTED = "personal_data_exported"
    PERSONAL_DATA_ERASED = "personal_data_erased"


# Kinds that a person asked for (the audit log lists them); the others are Stripe's or the
# system's.
ASKED_BY_A_PERSON = (
    EventKind.REFUND_REQUESTED, EventKind.REFUND, EventKind.RECEIPT_RESEND_REQUESTED,
    EventKind.PERSONAL_DATA_EXPORTED, EventKind.PERSONAL_DATA_ERASED,
)
