"""What Stripe knows, applied: PaymentIntents' states and disputes, from webhooks, from the
reconciliation and from the donor's own payment.

A PaymentIntent is applied from our own confirm's answer, or re-read after an event (unless
the event reports a success already applied in full), and applied under the donation's row
lock; its effects (fee, card, receipt, refunds) are monotonic, so the same
state applied twice, or out of order, changes nothing more. A closed dispute is never
reopened. Refunds: donations/services/refunds.py.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donations.models import Dispute, Donation, PaymentAttempt, RegularGift, RegularGiftEvent
from donations.receipts.numbering import receipt_issue
from donations.services.refunds import apply_refunded, donation_for_charge
from donations.services.transitions import (
    lock_donation,
    log_event,
    resettle,
    settled_status,
    transition,
)
from donations.states import DISPUTE_CLOSED, OPEN, PAID, EventKind, S
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)


def donation_sync(*, donation_id, source: str) -> Donation:
    """Bring one donation in line with its current PaymentIntent at Stripe.

    :raises stripe_gateway.PaymentProviderError: Stripe unreachable.
    """
    donation = Donation.objects.get(pk=donation_id)
    if not donation.stripe_payment_intent:
        return donation
    pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
    return donation_apply_payment_intent(payment_intent=pi, source=source)


def donation_expire(*, donation_id, untouched_since, source: str) -> Donation:
    """Cancel, at Stripe and here, a gift that nobody paid and nobody touched since then.

    The PaymentIntent is re-read first: one that succeeded (a lost webhook) or is still
    processing is applied, never canceled. The cancel is asked outside any transaction; if
    the donor came back meanwhile (the donation changed, or has a new PaymentIntent), the
    gift is left as it is. Afterwards reconciliation reads it no more.

    :raises stripe_gateway.PaymentProviderError: Stripe unreachable (or the PaymentIntent
        succeeded between our read and the cancel); nothing changed here.
    """
    donation = Donation.objects.get(pk=donation_id)
    if donation.status not in OPEN or not donation.stripe_payment_intent:
        return donation
    pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
    if pi.status in ("succeeded", "processing"):
        return donation_apply_payment_intent(payment_intent=pi, source=source) or donation
    if pi.status != "canceled":
        pi = stripe_gateway.payment_intent_cancel(pi.id)
    with transaction.atomic():
        donation = lock_donation(donation_id)
        if (donation.stripe_payment_intent == pi.id and donation.status in OPEN
                and donation.updated_at <= untouched_since and pi.status == "canceled"):
            transition(donation, S.CANCELED, source=source, strict=True,
                       message="Expired: not paid and untouched since "
                               f"{untouched_since:%Y-%m-%d %H:%M} UTC; canceled at Stripe.")
    return donation


def donation_apply_payment_intent(
    *, payment_intent: stripe_gateway.PaymentIntentState, source: str, stripe_event: str = ""
) -> Donation | None:
    """Apply a PaymentIntent's current state to the donation it belongs to (None: not ours)."""
    attempt = PaymentAttempt.objects.filter(payment_intent=payment_intent.id).first()
    if attempt is None:
        logger.info("payment intent is not a Lifeline donation's",
                    extra={"payment_intent": payment_intent.id, "stripe_event": stripe_event})
        return None
    with transaction.atomic():
        donation = lock_donation(attempt.donation_id)
        _apply_payment_intent(donation, payment_intent, source=source, stripe_event=stripe_event)
    return donation


def _apply_payment_intent(donation: Donation, pi: stripe_gateway.PaymentIntentState, *,
                          source: str, stripe_event: str = "") -> None:
    is_current = pi.id == donation.stripe_payment_intent
    if pi.status == "succeeded":
        if pi.amount != donation.amount or pi.currency != donation.currency:
            logger.error("paid amount differs from the donation",
                         extra={"donation_id": str(donation.pk), "payment_intent": pi.id})
        if donation.status in PAID:
            _record_fee(donation, pi)
            apply_refunded(donation, amount_refunded=pi.amount_refunded, charge=pi.charge_id,
                           source=source, stripe_event=stripe_event,
                           refunds=[r.as_dict() for r in pi.refunds])
            return
        if not is_current:
            # An older attempt succeeded after all (real Stripe can, the stand-in cannot):
            # the money is there, so it becomes the donation's PaymentIntent.
            logger.warning("an earlier payment intent succeeded",
                           extra={"donation_id": str(donation.pk), "payment_intent": pi.id})
            donation.stripe_payment_intent = pi.id
        # The gift's date is when the card was charged, by Stripe's clock, not when we heard
        # (a lost webhook is heard up to a reconciliation later): it fixes the receipt's year
        # and HMRC's donation date.
        donation.succeeded_at = pi.charged_at or timezone.now()
        donation.failure_message = ""
        _record_fee(donation, pi, save=False)
        donation.save()
        transition(donation, settled_status(donation), source=source,
                   stripe_event=stripe_event, message="Payment succeeded.")
        on_payment_succeeded(donation)
        # Refunded at Stripe before we heard of the success: the books show both.
        apply_refunded(donation, amount_refunded=pi.amount_refunded, charge=pi.charge_id,
                       source=source, stripe_event=stripe_event,
                       refunds=[r.as_dict() for r in pi.refunds])
    elif not is_current:
        return
    elif pi.status == "canceled":
        transition(donation, S.CANCELED, source=source, stripe_event=stripe_event)
    elif pi.status == "requires_payment_method" and pi.error_message:
        if donation.status == S.PENDING:
            donation.failure_message = pi.error_message[:300]
            donation.save(update_fields=["failure_message", "updated_at"])
        transition(donation, S.FAILED, source=source, stripe_event=stripe_event,
                   message=pi.error_message)


def _record_fee(donation: Donation, pi: stripe_gateway.PaymentIntentState, save=True) -> None:
    if pi.charge_id and not donation.stripe_charge:
        donation.stripe_charge = pi.charge_id
    if pi.fee is not None and donation.fee is None:
        donation.fee, donation.net = pi.fee, pi.net
    # The card for the receipt ("Visa ending 4242"), as Stripe's charge names it.
    if pi.card_last4 and not donation.card_last4:
        donation.card_brand, donation.card_last4 = pi.card_brand, pi.card_last4
    if save:
        donation.save(update_fields=["stripe_charge", "fee", "net", "card_brand", "card_last4",
                                     "updated_at"])


def on_payment_succeeded(donation: Donation) -> None:
    """What follows a success, inside the same transaction: the receipt; and for the first
    month of a monthly gift, the gift becomes active (Stripe activates the subscription when
    its first invoice's PaymentIntent succeeds). Only `incomplete` moves: a gift that Stripe
    has since reported past due or canceled keeps what Stripe said."""
    receipt_issue(donation=donation)
    if donation.regular_gift_id is not None and RegularGift.objects.filter(
            pk=donation.regular_gift_id, status=RegularGift.Status.INCOMPLETE,
    ).update(status=RegularGift.Status.ACTIVE, updated_at=timezone.now()):
        RegularGiftEvent.objects.create(
            regular_gift_id=donation.regular_gift_id, kind=RegularGiftEvent.Kind.STATUS,
            by=RegularGift.By.STRIPE, from_status=RegularGift.Status.INCOMPLETE,
            to_status=RegularGift.Status.ACTIVE, data={"first_month": str(donation.pk)})



def donation_record_dispute(*, dispute: dict, source: str,
                            stripe_event: str = "") -> Donation | None:
    """Record a dispute's state from a `charge.dispute.*` object.

    A closed dispute is never reopened by a late `created` event.
    """
    found = donation_for_charge(
        payment_intent=stripe_gateway.object_id(dispute.get("payment_intent")),
        charge=stripe_gateway.object_id(dispute.get("charge")),
    )
    if found is None:
        return None
    status = dispute.get("status") or "needs_response"
    closed = status in DISPUTE_CLOSED
    with transaction.atomic():
        donation = lock_donation(found.pk)
        row = Dispute.objects.select_for_update().filter(stripe_id=dispute["id"]).first()
        if row is None:
            row = Dispute.objects.create(
                stripe_id=dispute["id"], donation=donation, amount=dispute.get("amount") or 0,
                reason=dispute.get("reason") or "", status=status, closed=closed,
            )
        elif row.closed or row.status == status:
            return donation
        else:
            row.status, row.closed = status, closed
            row.save(update_fields=["status", "closed", "updated_at"])
        log_event(donation, kind=EventKind.DISPUTE, source=source, stripe_event=stripe_event,
                  data={"dispute": row.stripe_id, "status": status, "amount": row.amount})
        resettle(donation, source=source, stripe_event=stripe_event)
    return donation


def payment_intent_event_state(*, payment_intent_id: str, event_object: dict | None = None
                                ) -> stripe_gateway.PaymentIntentState | None:
    """What a payment_intent.* event (its signature and id already checked) asks us to apply:
    the PaymentIntent as Stripe holds it now, or None when there is nothing to apply. Call it
    outside any transaction: it may wait, and it may ask Stripe.

    A success the donation already shows in full (our confirm's answer was applied: status,
    charge, fee, on this PaymentIntent) is older than nothing it would change: Stripe is not
    asked. Under load the event often comes before our confirm's answer: while a confirm is
    in flight (the donation's payment claim is held), the event waits for it (reading, no
    lock, at most WEBHOOK_WAIT_FOR_PAY_SECONDS) and then looks again. Otherwise the
    PaymentIntent is read once: the event lacks what we record (real Stripe's `latest_charge`
    is an id, the stand-in's balance transaction is one), or it may be older than the
    donation's state (a failure after the donor's next card succeeded)."""
    attempt = PaymentAttempt.objects.filter(payment_intent=payment_intent_id).first()
    if attempt is None:
        return None
    if (event_object or {}).get("status") == "succeeded":
        deadline = time.monotonic() + settings.WEBHOOK_WAIT_FOR_PAY_SECONDS
        while True:
            donation = Donation.objects.get(pk=attempt.donation_id)
            if (donation.status in PAID and donation.stripe_charge
                    and donation.fee is not None
                    and donation.stripe_payment_intent == payment_intent_id):
                return None
            confirming = (donation.payment_claim_until is not None
                          and donation.payment_claim_until > timezone.now())
            if not confirming or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    return stripe_gateway.payment_intent_retrieve(payment_intent_id)
