"""A monthly gift's new card, put in by its donor on our card page after a month failed
(docs/monthly-gifts.md, "The card page").

The page is reached by the emailed link (donations/services/card_links.py) or the donor's
own sign-in.

`regular_gift_update_card` saves the card at Stripe, makes it the one that pays the gift, and
when the gift is past due pays its open invoices at once, so the failed month is collected
now. No transaction is open while Stripe is called: one card update per gift at a time is a
claim in the shared limits cache, not a row lock. The month is recorded as Stripe's webhook
records any paid month (regular_gift_apply_invoice, under the gift's row lock), here too from
the invoice read after paying it, so the donor's answer says it; the invoice is the unit
(`Donation.stripe_invoice` is unique), so the two never make two months.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid, Refused
from core.money import format_money
from donations.models import RegularGift, RegularGiftEvent
from donations.services.regular_gifts import (
    regular_gift_apply_invoice,
    regular_gift_apply_status,
)
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

G = RegularGift.Status


class CardUpdateInProgress(Refused):
    default_message = _("Your card is already being saved. Please wait a moment.")


class GiftNotUpdatable(Refused):
    default_message = _("This monthly gift has ended, so its card can no longer be changed.")


@dataclass(frozen=True)
class CardUpdate:
    """What the donor is told: `saved` (the card pays the months to come), `paid` (and the
    months that had failed were taken with it: `paid_amount`), `requires_action` (the bank
    wants to check: `client_secret` for stripe.handleNextAction), or `declined` (`message`;
    nothing changed)."""

    outcome: str
    message: str = ""
    client_secret: str = ""
    setup_intent: str = ""
    paid_invoices: tuple[str, ...] = field(default=())
    paid_amount: int = 0


def regular_gift_update_card(*, regular_gift_id, confirmation_token: str = "",
                             setup_intent: str = "", source: str) -> CardUpdate:
    """Save the donor's new card for the gift, make it the one its invoices are paid with,
    and, when the gift is past due, pay its open invoices with it now. `confirmation_token`
    is the Payment Element's card; `setup_intent` instead finishes one the bank has checked
    in the browser. Call with no transaction open (it calls Stripe).

    :raises GiftNotUpdatable: the gift is canceled (or never started).
    :raises CardUpdateInProgress: another update of this gift's card is under way.
    :raises stripe_gateway.UnknownConfirmationToken: the token is not Stripe's (a 400).
    :raises Invalid: the SetupIntent is not this gift's.
    :raises stripe_gateway.PaymentProviderError: Stripe unreachable (nothing recorded).
    """
    gift = RegularGift.objects.get(pk=regular_gift_id)
    if gift.status not in (G.ACTIVE, G.PAST_DUE):
        raise GiftNotUpdatable()
    claims = caches[settings.RATELIMIT_USE_CACHE]
    claim = f"regular-gift-card:{gift.pk}"
    if not claims.add(claim, 1, timeout=settings.PAYMENT_CLAIM_SECONDS):
        raise CardUpdateInProgress()
    try:
        return _update_card(gift, confirmation_token=confirmation_token,
                            setup_intent=setup_intent, source=source)
    finally:
        claims.delete(claim)


def _update_card(gift: RegularGift, *, confirmation_token: str, setup_intent: str,
                 source: str) -> CardUpdate:
    try:
        if setup_intent:
            setup = stripe_gateway.card_setup_retrieve(setup_intent)
            if setup.customer != gift.stripe_customer:
                raise Invalid(_("This card was not set up for this gift."), field="setup_intent")
        else:
            setup = stripe_gateway.card_setup(
                customer=gift.stripe_customer, confirmation_token=confirmation_token,
                metadata={"regular_gift": str(gift.pk)},
                idempotency_key=f"lifeline-regular-gift-{gift.pk}-{confirmation_token}")
    except stripe_gateway.CardDeclined as exc:
        return CardUpdate("declined", message=_declined(exc.message))
    if setup.status == "requires_action":
        return CardUpdate("requires_action", client_secret=setup.client_secret,
                          setup_intent=setup.id)
    if setup.status != "succeeded" or not setup.payment_method:
        return CardUpdate("declined", message=_declined(setup.error_message))
    stripe_gateway.subscription_card_set(customer=gift.stripe_customer,
                                         subscription=gift.stripe_subscription,
                                         payment_method=setup.payment_method)
    with transaction.atomic():
        gift = RegularGift.objects.select_for_update().get(pk=gift.pk)
        RegularGiftEvent.objects.create(
            regular_gift=gift, kind=RegularGiftEvent.Kind.CARD_UPDATED, by=RegularGift.By.DONOR,
            from_status=gift.status, to_status=gift.status, data={"setup_intent": setup.id})
    if gift.status != G.PAST_DUE:
        return CardUpdate("saved")
    return _pay_open_months(gift, payment_method=setup.payment_method, source=source)


def _pay_open_months(gift: RegularGift, *, payment_method: str, source: str) -> CardUpdate:
    """Collect the failed months now with the new card, oldest first; each paid one is
    recorded as a month (and the gift's status read from Stripe), as its webhook would."""
    paid: list[stripe_gateway.InvoiceState] = []
    declined = ""
    for invoice_id in stripe_gateway.open_invoices(gift.stripe_subscription):
        try:
            status = stripe_gateway.invoice_pay(
                invoice=invoice_id, payment_method=payment_method,
                idempotency_key=f"lifeline-invoice-{invoice_id}-{payment_method}")
        except stripe_gateway.CardDeclined:
            declined = _payment_declined(gift)
            break
        if status != "paid":
            declined = _payment_declined(gift)
            break
        paid.append(stripe_gateway.invoice_state(invoice_id))
    if paid:
        stripe_status = stripe_gateway.subscription_status(gift.stripe_subscription)
        with transaction.atomic():
            for invoice in paid:
                regular_gift_apply_invoice(invoice=invoice, stripe_status=stripe_status,
                                           source=source)
    if declined:
        return CardUpdate("declined", message=declined,
                          paid_invoices=tuple(i.id for i in paid))
    if not paid:
        # Nothing open at Stripe: paid meanwhile (its own retry), maybe unheard of here.
        stripe_status = stripe_gateway.subscription_status(gift.stripe_subscription)
        with transaction.atomic():
            regular_gift_apply_status(subscription=gift.stripe_subscription,
                                      stripe_status=stripe_status)
        return CardUpdate("saved")
    return CardUpdate("paid", paid_invoices=tuple(i.id for i in paid),
                      paid_amount=sum(i.amount_paid for i in paid))


def _declined(stripe_message: str) -> str:
    """A card refused when it was saved: Stripe's words for the donor, and what to do."""
    return " ".join((stripe_message or str(_("Your card was declined.")),
                     str(_("Nothing was taken. Please try another card."))))


def _payment_declined(gift: RegularGift) -> str:
    """The new card was saved but the bank refused the failed month's payment with it."""
    return str(_("Your bank declined the payment of %(amount)s with this card. Nothing was "
                 "taken. Please try another card.") % {
        "amount": format_money(gift.amount, gift.currency)})
