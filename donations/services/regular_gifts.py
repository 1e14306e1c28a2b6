"""Monthly gifts as Stripe reports them: each month collected becomes a donation of its own,
and the gift's status follows its subscription (docs/monthly-gifts.md).

A month is a Donation linked to its RegularGift and to the Stripe invoice that collected it
(`Donation.stripe_invoice`, unique: one invoice can never make two donations). Its payment is
applied through the same path as a one-off gift's PaymentIntent (stripe_events), so it gets
its fee, card, `succeeded` status, receipt number and receipt email exactly once.

The gift's status is not read from an event's snapshot: the caller reads the subscription's
current status at Stripe before the transaction, and it is mapped here under the gift's row
lock, so events in any order, or twice, end where Stripe is. `canceled` is final; a gift never
goes back to `incomplete`.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from donations.models import (
    Donation,
    GiftAidDeclaration,
    PaymentAttempt,
    RegularGift,
)
from donations.services.stripe_events import donation_apply_payment_intent
from donations.services.transitions import log_event
from donations.states import PAID, EventKind, S
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

G = RegularGift.Status

# A subscription's status at Stripe, as the gift's. Others (`paused`) change nothing.
FROM_STRIPE = {
    "incomplete": G.INCOMPLETE,
    "active": G.ACTIVE,
    "trialing": G.ACTIVE,
    "past_due": G.PAST_DUE,
    "unpaid": G.PAST_DUE,
    "canceled": G.CANCELED,
    "incomplete_expired": G.CANCELED,
}


def is_ours(*, subscription: str) -> bool:
    """Whether a Stripe subscription is one of our monthly gifts (a read, no lock)."""
    return RegularGift.objects.filter(stripe_subscription=subscription).exists()


def month_already_applied(*, invoice: str) -> bool:
    """Whether the invoice's month is recorded in full (paid, its charge and fee) on a gift
    that is active: a report that it was paid would change nothing, so Stripe need not be
    asked (the first month, whose success our own confirm applied, is the common case)."""
    return Donation.objects.filter(
        stripe_invoice=invoice, status__in=PAID, fee__isnull=False,
        regular_gift__status=G.ACTIVE,
    ).exclude(stripe_charge="").exists()


def lock_regular_gift(*, subscription: str) -> RegularGift | None:
    """The gift of that Stripe subscription, its row locked until the transaction ends
    (None: not one of ours)."""
    return RegularGift.objects.select_for_update().filter(
        stripe_subscription=subscription).first()


def regular_gift_apply_invoice(*, invoice: stripe_gateway.InvoiceState, stripe_status: str,
                               source: str, stripe_event: str = "") -> Donation | None:
    """Apply an invoice of a monthly gift as Stripe holds it now (read by the caller, with
    its PaymentIntent, outside any transaction) and the subscription's current status.

    The first month's invoice names the donation made with the gift; a later month's paid
    invoice makes a new donation for that month (pending, then applied as succeeded: fee,
    card, receipt, its email on commit). Call inside the transaction that records the event.
    Returns the month's donation (None: no paid month, or not ours).
    """
    gift = lock_regular_gift(subscription=invoice.subscription)
    if gift is None:
        logger.info("invoice is not a Lifeline monthly gift's",
                    extra={"stripe_event": stripe_event, "invoice": invoice.id})
        return None
    pi = invoice.payment_intent
    donation = Donation.objects.filter(stripe_invoice=invoice.id).first()
    if donation is None and pi is not None and pi.status == "succeeded":
        donation = _new_month(gift, invoice, pi, source=source, stripe_event=stripe_event)
    if donation is not None and pi is not None:
        donation = donation_apply_payment_intent(payment_intent=pi, source=source,
                                                 stripe_event=stripe_event) or donation
    _status_in_line(gift, stripe_status, stripe_event=stripe_event)
    return donation


def regular_gift_apply_status(*, subscription: str, stripe_status: str,
                              stripe_event: str = "") -> RegularGift | None:
    """Bring the gift's status in line with its subscription's status at Stripe (read by the
    caller outside any transaction, or `canceled` from a deletion, which is final). Call
    inside the transaction that records the event."""
    gift = lock_regular_gift(subscription=subscription)
    if gift is not None:
        _status_in_line(gift, stripe_status, stripe_event=stripe_event)
    return gift


def _status_in_line(gift: RegularGift, stripe_status: str, *, stripe_event: str) -> None:
    target = FROM_STRIPE.get(stripe_status)
    current = gift.status
    if target is None or target == current:
        return
    if current == G.CANCELED or (target == G.INCOMPLETE):
        # Canceled is final; a gift that was paid never becomes incomplete again.
        logger.info("ignored monthly gift status %s -> %s", current, target,
                    extra={"regular_gift": str(gift.pk), "stripe_event": stripe_event})
        return
    gift.status = target
    fields = ["status", "updated_at"]
    if target == G.CANCELED:
        gift.canceled_at = timezone.now()
        fields.append("canceled_at")
    gift.save(update_fields=fields)
    logger.info("monthly gift %s -> %s", current, target,
                extra={"regular_gift": str(gift.pk), "stripe_event": stripe_event})


def _new_month(gift: RegularGift, invoice: stripe_gateway.InvoiceState,
               pi: stripe_gateway.PaymentIntentState, *, source: str,
               stripe_event: str) -> Donation:
    """A month Stripe collected, as a pending donation of its own: the caller applies its
    PaymentIntent at once, which makes it succeeded and issues its receipt. The unique
    invoice id is the backstop if two deliveries ever raced past the gift's row lock."""
    amount = pi.amount or gift.amount
    donation = Donation.objects.create(
        appeal_id=gift.appeal_id, designation_id=gift.designation_id, amount=amount,
        gift_amount=min(gift.gift_amount, amount), currency=gift.currency,
        cover_fees=gift.cover_fees, email=gift.email, first_name=gift.first_name,
        last_name=gift.last_name, anonymous=gift.anonymous, gift_aid=gift.gift_aid,
        address_line1=gift.address_line1, postcode=gift.postcode, regular_gift=gift,
        stripe_invoice=invoice.id, stripe_payment_intent=pi.id,
        stripe_customer=gift.stripe_customer, language=gift.language,
    )
    PaymentAttempt.objects.get_or_create(payment_intent=pi.id, defaults={"donation": donation})
    declaration = gift.declaration
    if gift.gift_aid and declaration is not None:
        # The donor's declaration covers this and future gifts (HMRC): each month's gift
        # records it as it was made, with its wording, time and address.
        GiftAidDeclaration.objects.create(
            donation=donation, wording_version=declaration.wording_version,
            wording=declaration.wording, scope=declaration.scope,
            declared_at=declaration.declared_at, first_name=declaration.first_name,
            last_name=declaration.last_name, address_line1=declaration.address_line1,
            postcode=declaration.postcode, ip_address=declaration.ip_address,
            user_agent=declaration.user_agent,
        )
    log_event(donation, kind=EventKind.CREATED, source=source, to_status=S.PENDING,
              stripe_event=stripe_event,
              data={"regular_gift": str(gift.pk), "invoice": invoice.id,
                    "payment_intent": pi.id})
    return donation

