"""Stripe webhook handling: verify, record once, re-read state, answer fast.

Each event id is recorded in StripeEvent inside the same transaction as its effects, so a
redelivery is a no-op and a failure rolls back both (Stripe then retries). Payment events
are not trusted for their snapshot: the PaymentIntent is re-read from Stripe, so events that
arrive out of order converge on Stripe's current state. Refunds and disputes are applied
monotonically (cumulative refunded amount; a closed dispute is never reopened).
"""

from __future__ import annotations

import logging
import re

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


# What each handled event's data.object must be (Stripe's `object` field).
OBJECT_KIND = {
    **{event_type: "payment_intent" for event_type in PAYMENT_INTENT_EVENTS},
    "charge.refunded": "charge",
    "charge.refund.updated": "refund",
    **{event_type: "dispute" for event_type in HANDLED if event_type.startswith("charge.dispute.")},
}
# Stripe's ids are letters, digits and underscores ("evt_1Nx…", "pi_3Mt…"); the bound is our
# columns' (StripeEvent.event_id, Dispute.stripe_id: 255).
STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
# Amounts fit a BigIntegerField; Stripe's own maximum is far below.
MAX_AMOUNT = 2**53


class MalformedEvent(ValueError):
    """Signed, but not shaped like a Stripe event."""


def handle_event(event: dict) -> str:
    """Apply one verified event once. Returns "applied", "duplicate" or "ignored".

    :raises MalformedEvent: the event, or the object of a type we handle, is not shaped as
        Stripe shapes it (caller answers 400; nothing is stored).
    :raises stripe_gateway.PaymentProviderError: Stripe could not be asked (caller answers
        5xx so that Stripe delivers again).
    """
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("an event without a type")
    if event_type not in HANDLED:
        return "ignored"
    event_id = _stripe_id(event.get("id"), what="the event's id")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent(f"{event_type} without data.object")
    _check_object(event_type, obj)
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


def _check_object(event_type: str, obj: dict) -> None:
    """Every field of `obj` that _apply reads has the type and bounds Stripe gives it.

    :raises MalformedEvent: naming the first field that does not.
    """
    kind = OBJECT_KIND[event_type]
    if obj.get("object") != kind:
        raise MalformedEvent(f"{event_type} whose data.object is not a {kind}")
    _stripe_id(obj.get("id"), what=f"the {kind}'s id")
    if kind == "charge":
        _expandable_id(obj.get("payment_intent"), what="the charge's payment_intent")
        _amount(obj.get("amount_refunded"), what="the charge's amount_refunded")
        refunds = obj.get("refunds")
        if refunds is not None:
            listed = refunds.get("data") if isinstance(refunds, dict) else False
            if not isinstance(listed, list | None):  # a Stripe list: {"data": [...], ...}
                raise MalformedEvent("the charge's refunds are not a list of refunds")
            for refund in listed or []:
                if not isinstance(refund, dict):
                    raise MalformedEvent("a refund on the charge is not an object")
                _stripe_id(refund.get("id"), what="a refund's id")
                _amount(refund.get("amount"), what="a refund's amount")
                _text(refund.get("status"), 40, what="a refund's status")
    elif kind == "dispute":
        _expandable_id(obj.get("charge"), what="the dispute's charge")
        _expandable_id(obj.get("payment_intent"), what="the dispute's payment_intent")
        _amount(obj.get("amount"), what="the dispute's amount")
        _text(obj.get("status"), 40, what="the dispute's status")
        _text(obj.get("reason"), 100, what="the dispute's reason")


def _stripe_id(value, *, what: str) -> str:
    if isinstance(value, str) and STRIPE_ID.fullmatch(value):
        return value
    raise MalformedEvent(f"{what} is not a Stripe id")


def _expandable_id(value, *, what: str) -> None:
    """Absent, an id, or the expanded object with its id (as the stand-in sends them)."""
    if value is None or value == "":
        return
    _stripe_id(value.get("id") if isinstance(value, dict) else value, what=what)


def _amount(value, *, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise MalformedEvent(f"{what} is not an amount in minor units")


def _text(value, max_length: int, *, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise MalformedEvent(f"{what} is not a short text")


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
