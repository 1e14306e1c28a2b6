"""Stripe webhook handling: record once, re-read state, answer fast.

The delivery is verified and its event's shape checked by gateways.stripe (webhooks.py);
here each event type we handle is applied through the donation services
(donations/services/stripe_events.py, refunds.py).

Declined cards (`payment_intent.payment_failed`, `setup_intent.setup_failed`) are counted by
the card-testing defence once the event is recorded (donations/services/defence.py), each
decline once however many reports of it arrive.

Each event id is recorded in StripeEvent inside the same transaction as its effects, so a
redelivery is a no-op and a failure rolls back both (Stripe then retries). Whatever must be
asked of Stripe is asked before that transaction (`_prepare`), so no network call runs while
the event's row is held. Payment events are not trusted for their snapshot unless the
donation already shows that success in full: otherwise the PaymentIntent is re-read, so
events that arrive out of order converge on Stripe's current state. Refunds and disputes are
applied monotonically (cumulative refunded amount; a closed dispute is never reopened).
A monthly gift's invoice and subscription events read the subscription's status (and the
invoice with its PaymentIntent) from Stripe first; a paid invoice's month is a donation of
its own, made once (docs/monthly-gifts.md, donations/services/regular_gifts.py).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from donations.models import DonationEvent, StripeEvent
from donations.services import defence, refunds, regular_gifts, stripe_events
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

SOURCE = DonationEvent.Source.WEBHOOK
# The events applied (each of a type whose shape gateways.stripe checks); others get 200.
HANDLED = (stripe_gateway.PAYMENT_INTENT_EVENTS | stripe_gateway.REFUND_EVENTS
           | stripe_gateway.DISPUTE_EVENTS | stripe_gateway.SETUP_INTENT_EVENTS
           | stripe_gateway.INVOICE_EVENTS | stripe_gateway.SUBSCRIPTION_EVENTS)


def handle_event(event: dict) -> str:
    """Apply one verified event once. Returns "applied", "duplicate" or "ignored".

    :raises stripe_gateway.MalformedEvent: the event, or the object of a type we handle, is
        not shaped as Stripe shapes it (caller answers 400; nothing is stored).
    :raises stripe_gateway.PaymentProviderError: Stripe could not be asked (caller answers
        5xx so that Stripe delivers again).
    """
    event_type = stripe_gateway.event_type(event)
    if event_type not in HANDLED:
        return "ignored"
    event_id, obj, api_version = stripe_gateway.event_contents(event)
    if StripeEvent.objects.filter(event_id=event_id).exists():
        logger.info("duplicate stripe event", extra={"stripe_event": event_id})
        return "duplicate"
    apply = _prepare(event_type, obj)
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type,
                                       api_version=api_version)
            apply(event_id)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event_id).exists():
            logger.info("duplicate stripe event", extra={"stripe_event": event_id})
            return "duplicate"
        raise
    if event_type in stripe_gateway.DECLINE_EVENTS:
        decline = stripe_gateway.decline_in(obj)
        if decline is not None:
            defence.record_reported_decline(decline)
    return "applied"


def _prepare(event_type: str, obj: dict):
    """Ask Stripe what the event needs (outside any transaction); return the function that
    applies it, given the event's id, inside the transaction that records the event."""
    if event_type in stripe_gateway.PAYMENT_INTENT_EVENTS:
        pi = stripe_events.payment_intent_event_state(payment_intent_id=obj["id"],
                                                      event_object=obj)

        def apply(event_id: str) -> None:
            if pi is not None:
                stripe_events.donation_apply_payment_intent(
                    payment_intent=pi, source=SOURCE, stripe_event=event_id)
        return apply
    if event_type in stripe_gateway.INVOICE_EVENTS | stripe_gateway.SUBSCRIPTION_EVENTS:
        return _prepare_monthly(event_type, obj)
    if (event_type in stripe_gateway.REFUND_EVENTS | stripe_gateway.DISPUTE_EVENTS
            and not stripe_gateway.object_id(obj.get("payment_intent"))):
        # Only the charge is named: which PaymentIntent it belongs to is asked now.
        charge = obj["id"] if obj.get("object") == "charge" else stripe_gateway.object_id(
            obj.get("charge"))
        if charge and refunds.donation_of_charge(payment_intent="", charge=charge) is None:
            payment_intent = stripe_gateway.charge_payment_intent(charge)
            if not payment_intent:
                return lambda event_id: None  # a charge of no PaymentIntent: not a gift's
            obj = {**obj, "payment_intent": payment_intent}
    return lambda event_id: _apply(event_type, obj, event_id)


def _apply(event_type: str, obj: dict, event_id: str) -> None:
    if event_type in stripe_gateway.REFUND_EVENTS:
        charge = obj if obj.get("object") == "charge" else {}
        if charge:
            refunds.donation_record_refund(
                payment_intent=stripe_gateway.object_id(charge.get("payment_intent")),
                charge=charge["id"],
                amount_refunded=charge.get("amount_refunded") or 0,
                refunds=[r for r in (charge.get("refunds") or {}).get("data") or []
                         if isinstance(r, dict)],
                source=SOURCE,
                stripe_event=event_id,
            )
    elif event_type in stripe_gateway.DISPUTE_EVENTS:
        stripe_events.donation_record_dispute(dispute=obj, source=SOURCE, stripe_event=event_id)


def _prepare_monthly(event_type: str, obj: dict):
    """A monthly gift's invoice or subscription event: the invoice (with its PaymentIntent)
    and the subscription's status are read from Stripe now, not taken from the event, so
    that events in any order converge on Stripe's state (docs/monthly-gifts.md). Events of
    subscriptions that are not ours cost no read."""
    if event_type in stripe_gateway.SUBSCRIPTION_EVENTS:
        subscription = obj["id"]
    else:
        subscription = stripe_gateway.invoice_subscription(obj)
    if not subscription or not regular_gifts.is_ours(subscription=subscription):
        return lambda event_id: None
    if (event_type in stripe_gateway.INVOICE_PAID_EVENTS
            and regular_gifts.month_already_applied(invoice=obj["id"])):
        return lambda event_id: None  # nothing it would change: no read
    if event_type == "customer.subscription.deleted":
        status = "canceled"  # final at Stripe: nothing to read
    else:
        status = stripe_gateway.subscription_status(subscription)
    if event_type in stripe_gateway.SUBSCRIPTION_EVENTS:
        # Why Stripe ended it (its payments failed, or someone canceled it) is final in the
        # event, as the deletion is.
        failed_payments = stripe_gateway.subscription_ended_for_failed_payments(obj)
        return lambda event_id: regular_gifts.regular_gift_apply_status(
            subscription=subscription, stripe_status=status, stripe_event=event_id,
            failed_payments=failed_payments)
    invoice = stripe_gateway.invoice_state(obj["id"])
    return lambda event_id: regular_gifts.regular_gift_apply_invoice(
        invoice=invoice, stripe_status=status, source=SOURCE, stripe_event=event_id,
        reported_failed=event_type == "invoice.payment_failed")
