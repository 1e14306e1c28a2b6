"""Stripe webhook handling: verify, record once, re-read state, answer fast.

Each event id is recorded in StripeEvent inside the same transaction as its effects, so a
redelivery is a no-op and a failure rolls back both (Stripe then retries). Payment events
are not trusted for their snapshot: the PaymentIntent is re-read from Stripe, so events that
arrive out of order converge on Stripe's current state. Refunds and disputes are applied
monotonically (cumulative refunded amount; a closed dispute is never reopened).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from donations import services, stripe_gateway
from donations.models import DonationEvent, StripeEvent

logger = logging.getLogger(__name__)

SOURCE = DonationEvent.Source.WEBHOOK
PAYMENT_INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
}
HANDLED = PAYMENT_INTENT_EVENTS | {
    "charge.refunded",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}


class MalformedEvent(ValueError):
    """Signed, but not shaped like a Stripe event."""


def handle_event(event: dict) -> str:
    """Apply one verified event once. Returns "applied", "duplicate" or "ignored".

    :raises MalformedEvent: the event lacks its id or object (caller answers 400).
    :raises stripe_gateway.PaymentProviderError: Stripe could not be asked (caller answers
        5xx so that Stripe delivers again).
    """
    event_type = event.get("type", "")
    if event_type not in HANDLED:
        return "ignored"
    obj = (event.get("data") or {}).get("object")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not isinstance(obj, dict) or not obj.get("id"):
        raise MalformedEvent(f"{event_type} without an id or object")
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
            _apply(event_type, obj, event_id)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event_id).exists():
            logger.info("duplicate stripe event", extra={"stripe_event": event_id})
            return "duplicate"
        raise
    return "applied"


def _apply(event_type: str, obj: dict, event_id: str) -> None:
    if event_type in PAYMENT_INTENT_EVENTS:
        services.donation_payment_intent_event(
            payment_intent_id=obj["id"], source=SOURCE, stripe_event=event_id
        )
    elif event_type in ("charge.refunded", "charge.refund.updated"):
        charge = obj if obj.get("object") == "charge" else {}
        if charge:
            services.donation_record_refund(
                payment_intent=stripe_gateway.object_id(charge.get("payment_intent")),
                charge=charge["id"],
                amount_refunded=charge.get("amount_refunded") or 0,
                refunds=[r for r in (charge.get("refunds") or {}).get("data") or []
                         if isinstance(r, dict)],
                source=SOURCE,
                stripe_event=event_id,
            )
    elif event_type.startswith("charge.dispute."):
        services.donation_record_dispute(dispute=obj, source=SOURCE, stripe_event=event_id)
