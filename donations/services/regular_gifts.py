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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import MAX_AMOUNT, MIN_AMOUNT, estimate_fee_to_cover, format_money
from donations.models import (
    Donation,
    GiftAidDeclaration,
    PaymentAttempt,
    RegularGift,
    RegularGiftEvent,
)
from donations.services.regular_gift_notices import notice_failed_month, notice_gave_up
from donations.services.stripe_events import donation_apply_payment_intent
from donations.services.transitions import log_event
from donations.states import PAID, EventKind, S
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

G = RegularGift.Status
BY = RegularGift.By
# A gift whose amount may change: one Stripe still collects.
CHANGEABLE = (G.ACTIVE, G.PAST_DUE)

# A subscription's status at Stripe, as the gift's. Others (`paused`) change nothing.
FROM_STRIPE = {
    "incomplete": G.INCOMPLETE,
    "active": G.ACTIVE,
    "trialing": G.ACTIVE,
    "past_due": G.PAST_DUE,
    # Stripe's retries ran out and it was set to leave the subscription `unpaid` rather than
    # cancel it: it collects nothing more by itself, so for the donor the gift has ended.
    "unpaid": G.CANCELED,
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
                               source: str, stripe_event: str = "",
                               reported_failed: bool = False) -> Donation | None:
    """Apply an invoice of a monthly gift as Stripe holds it now (read by the caller, with
    its PaymentIntent, outside any transaction) and the subscription's current status.

    The first month's invoice names the donation made with the gift; a later month's paid
    invoice makes a new donation for that month (pending, then applied as succeeded: fee,
    card, receipt, its email on commit). Call inside the transaction that records the event.
    `reported_failed`: Stripe reported the invoice's payment failed (`invoice.payment_failed`);
    a later month that is still unpaid at Stripe then tells the donor, once per invoice
    (regular_gift_notices: queued on commit).
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
    if reported_failed and donation is None:
        notice_failed_month(gift=gift, invoice=invoice, stripe_event=stripe_event)
    return donation


def regular_gift_apply_status(*, subscription: str, stripe_status: str,
                              stripe_event: str = "",
                              failed_payments: bool | None = None) -> RegularGift | None:
    """Bring the gift's status in line with its subscription's status at Stripe (read by the
    caller outside any transaction, or `canceled` from a deletion, which is final). Call
    inside the transaction that records the event. A gift that was past due and is now
    canceled (Stripe gave up) tells its donor, once (queued on commit), unless Stripe says it
    ended for another reason (`failed_payments` False: canceled through the API or the
    Dashboard, by us or someone; None: Stripe named no reason)."""
    gift = lock_regular_gift(subscription=subscription)
    if gift is not None:
        before = gift.status
        _status_in_line(gift, stripe_status, stripe_event=stripe_event)
        if (before == G.PAST_DUE and gift.status == G.CANCELED
                and failed_payments is not False):
            # Stripe gave up after failed months (its retries ran out): the donor is told.
            # A gift canceled while active (the donor's or an admin's choice) is not.
            notice_gave_up(gift=gift, stripe_event=stripe_event)
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
        # Ended at Stripe without our asking (the Dashboard, Stripe giving up on a card):
        # a cancel we asked for is recorded as ours before Stripe's report comes.
        gift.canceled_at = timezone.now()
        gift.canceled_by = BY.STRIPE
        fields += ["canceled_at", "canceled_by"]
    gift.save(update_fields=fields)
    RegularGiftEvent.objects.create(
        regular_gift=gift, kind=RegularGiftEvent.Kind.STATUS, by=BY.STRIPE,
        from_status=current, to_status=target, stripe_event=stripe_event)
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



# --- asked for by the donor, an admin or Stripe -------------------------------------------


def _by(by: str) -> str:
    if by not in BY.values:
        raise ValueError(f"by must be one of {BY.values}, not {by!r}")
    return by


def regular_gift_cancel(*, gift_id, by: str, actor=None) -> RegularGift:
    """End a monthly gift: its subscription is canceled at Stripe at once (nothing more is
    collected), then, under the gift's row lock, the gift is `canceled` with when and who
    (`by`: donor | admin | stripe; `actor`: the staff user, for an admin). A gift already
    canceled is left as it is (no Stripe call); a subscription already ended at Stripe is
    fine. Stripe is called outside any transaction; the row lock is held only to write.

    :raises RegularGift.DoesNotExist: no such gift.
    :raises PaymentProviderError: Stripe unreachable or refused (nothing written here; the
        gift still collects: say so, and let the person try again).
    """
    _by(by)
    gift = RegularGift.objects.get(pk=gift_id)
    if gift.status == G.CANCELED:
        return gift
    ended_now = stripe_gateway.subscription_cancel(gift.stripe_subscription)
    with transaction.atomic():
        gift = RegularGift.objects.select_for_update().get(pk=gift_id)
        if gift.status == G.CANCELED and not (ended_now and gift.canceled_by == BY.STRIPE):
            return gift
        # Here, or Stripe's deletion event came between our call and this lock: the
        # cancel was ours, and is recorded as ours.
        current = gift.status if gift.status != G.CANCELED else ""
        gift.status = G.CANCELED
        gift.canceled_at = gift.canceled_at or timezone.now()
        # Already ended at Stripe (its report never reached us): Stripe ended it; the
        # event still records who asked.
        gift.canceled_by = by if ended_now else BY.STRIPE
        gift.save(update_fields=["status", "canceled_at", "canceled_by", "updated_at"])
        RegularGiftEvent.objects.create(
            regular_gift=gift, kind=RegularGiftEvent.Kind.CANCELED, by=by, actor=actor,
            from_status=current, to_status=G.CANCELED,
            data={} if ended_now else {"already_ended_at_stripe": True})
    logger.info("monthly gift canceled by %s", by, extra={"regular_gift": str(gift.pk)})
    return gift


def regular_gift_change_amount(*, gift_id, amount: int, by: str, actor=None) -> RegularGift:
    """Give `amount` (minor units, the gift's currency) a month from the next collection on:
    the subscription item's price is replaced at Stripe with no proration, then the gift's
    `gift_amount` and `amount` (what the card is charged: with the fee estimate added where
    the donor covers fees) are written under its row lock, with an event naming who asked.
    Within the limits of a gift (core.money); only an active or past_due gift. The same
    amount changes nothing (no Stripe call).

    :raises ValidationError: `{"amount": [...]}` out of limits, or the gift not collecting;
        nothing asked of Stripe.
    :raises RegularGift.DoesNotExist: no such gift.
    :raises PaymentProviderError: Stripe unreachable or refused (nothing written here).
    """
    _by(by)
    gift = RegularGift.objects.get(pk=gift_id)
    currency = gift.currency
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError({"amount": [_("Enter an amount.")]})
    if amount < MIN_AMOUNT[currency]:
        raise ValidationError({"amount": [_("The smallest gift is %(amount)s.") % {
            "amount": format_money(MIN_AMOUNT[currency], currency)}]})
    if amount > MAX_AMOUNT[currency]:
        raise ValidationError({"amount": [_(
            "The largest gift online is %(amount)s. Please contact us for larger gifts.") % {
            "amount": format_money(MAX_AMOUNT[currency], currency)}]})
    if gift.status not in CHANGEABLE:
        raise ValidationError({"amount": [_(
            "Only a monthly gift that is still collected can change its amount.")]})
    charged = amount + (estimate_fee_to_cover(amount, currency) if gift.cover_fees else 0)
    if amount == gift.gift_amount and charged == gift.amount:
        return gift
    stripe_gateway.subscription_change_amount(
        subscription_id=gift.stripe_subscription, amount=charged, currency=currency)
    with transaction.atomic():
        gift = RegularGift.objects.select_for_update().get(pk=gift_id)
        if gift.status not in CHANGEABLE:
            # Canceled meanwhile: nothing more is collected, whatever the price.
            return gift
        before = {"amount": gift.amount, "gift_amount": gift.gift_amount}
        gift.amount, gift.gift_amount = charged, amount
        gift.save(update_fields=["amount", "gift_amount", "updated_at"])
        RegularGiftEvent.objects.create(
            regular_gift=gift, kind=RegularGiftEvent.Kind.AMOUNT_CHANGED, by=by, actor=actor,
            from_status=gift.status, to_status=gift.status,
            data={"from": before, "to": {"amount": charged, "gift_amount": amount},
                  "currency": currency})
    logger.info("monthly gift amount changed by %s", by, extra={"regular_gift": str(gift.pk)})
    return gift


# --- what webhooks missed (reconciliation) -------------------------------------------------


def regular_gift_reconcile(*, news: stripe_gateway.MonthlyNews, source: str) -> bool:
    """Apply one event of a monthly gift that reconciliation found at Stripe, through the
    webhook's own services (the same locks, the same unique invoice), reading Stripe only
    where the books may differ. True when something may have changed here.

    - a subscription deleted: the gift canceled (final; nothing to read), unless it is;
    - a subscription updated: its status read now, unless the event's snapshot maps to the
      gift's status already;
    - an invoice paid: the month recorded (the invoice and the subscription's status read
      now), unless a paid donation has that invoice.

    :raises PaymentProviderError: Stripe unreachable (nothing written).
    """
    gift = RegularGift.objects.filter(stripe_subscription=news.subscription).first()
    if gift is None:
        return False
    if news.type in stripe_gateway.SUBSCRIPTION_EVENTS:
        if gift.status == G.CANCELED:
            return False
        if news.type == "customer.subscription.deleted":
            status = "canceled"
        elif FROM_STRIPE.get(news.status) in (None, gift.status):
            return False
        else:
            status = stripe_gateway.subscription_status(news.subscription)
        with transaction.atomic():
            regular_gift_apply_status(subscription=news.subscription, stripe_status=status,
                                      stripe_event=news.event_id)
        return True
    if Donation.objects.filter(stripe_invoice=news.object_id, status__in=PAID).exists():
        return False
    status = stripe_gateway.subscription_status(news.subscription)
    invoice = stripe_gateway.invoice_state(news.object_id)
    with transaction.atomic():
        donation = regular_gift_apply_invoice(invoice=invoice, stripe_status=status,
                                              source=source, stripe_event=news.event_id)
    return donation is not None
