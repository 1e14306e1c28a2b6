"""Paying by card: the card set up through a SetupIntent, then charged on the server.

Stripe is called with no transaction open. A short transaction takes the donation's
payment claim (`payment_claim` until `payment_claim_until`, renewed while the calls run,
donations/leases.py), the calls are made, and their outcome is written in short
transactions, each under the row lock and state-checked. A second click meanwhile finds the
claim: it charges nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Refused
from donations import leases
from donations.models import Donation, DonationEvent, PaymentAttempt
from donations.services.create import new_payment_intent
from donations.services.stripe_events import donation_apply_payment_intent
from donations.services.transitions import lock_donation, log_event, transition
from donations.states import OPEN, PAID, EventKind, S
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)


class DonationNotPayable(Refused):
    """The donation cannot take a card now (already paid, canceled, or card not set up)."""


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # succeeded | requires_action | declined | pending
    client_secret: str = ""
    message: str = ""
    card_fingerprint: str = ""
    # The declined charge's name, the same as in Stripe's payment_intent.payment_failed event
    # (stripe_gateway.attempt_key): the defence counts it once whichever reports it first.
    attempt: str = ""
    # The outcome of another request's attempt (a double click waited for it): nothing new
    # was tried, so nothing new is counted.
    repeated: bool = False



def _replace_payment_intent(donation: Donation, old: stripe_gateway.PaymentIntentState, *,
                            source: str) -> None:
    """Give the donation a new PaymentIntent in place of `old` (a declined card's, an
    abandoned 3-D Secure's). The new one is made and recorded before the old is canceled: a
    Stripe error at any step leaves the donation on a PaymentIntent that can still be paid or
    replaced, never on a canceled one. Call with the donation's payment claim and no
    transaction open.

    :raises stripe_gateway.PaymentProviderError: the new one could not be made (nothing
        changed here).
    """
    # The same attempt number, so the same Stripe idempotency key, if this is a retry of a
    # replacement whose recording failed.
    attempt = PaymentAttempt.objects.filter(donation_id=donation.pk).count() + 1
    pi = new_payment_intent(donation, attempt=attempt)
    with transaction.atomic():
        locked = lock_donation(donation.pk)
        PaymentAttempt.objects.get_or_create(payment_intent=pi.id,
                                             defaults={"donation": locked})
        locked.stripe_payment_intent = pi.id
        locked.save(update_fields=["stripe_payment_intent", "updated_at"])
        log_event(locked, kind=EventKind.PAYMENT_INTENT_REPLACED, source=source,
                  data={"old": old.id, "old_status": old.status, "new": pi.id})
    donation.stripe_payment_intent = pi.id
    if old.status != "canceled":
        try:
            stripe_gateway.payment_intent_cancel(old.id)
        except stripe_gateway.PaymentProviderError:
            # It is no longer the donation's: a success on it would still be recorded
            # (_apply_payment_intent), anything else about it is ignored.
            logger.warning("could not cancel a replaced payment intent",
                           extra={"donation_id": str(donation.pk), "payment_intent": old.id})



class PaymentInProgress(Refused):
    """Another request is setting up or paying this donation right now."""

    default_message = "This gift's card is being set up or charged already: one moment."


def _claim_payment(donation_id, token: str, *, check) -> Donation:
    """Take the donation's payment claim after `check(donation)` (which may raise), in one
    short transaction.

    :raises PaymentInProgress: another request holds the claim.
    """
    with transaction.atomic():
        donation = lock_donation(donation_id)
        check(donation)
        if donation.payment_claim_until and donation.payment_claim_until > timezone.now():
            raise PaymentInProgress
        donation.payment_claim = token
        donation.payment_claim_until = leases.expiry(settings.PAYMENT_CLAIM_SECONDS)
        donation.save(update_fields=["payment_claim", "payment_claim_until"])
    return donation


class _PaymentClaim:
    """Hold (and renew) the claim while the block calls Stripe; free it after."""

    def __init__(self, donation_id, token: str):
        self.rows = Donation.objects.filter(pk=donation_id)
        self.renewal = leases.Renewal(self.rows, claim_field="payment_claim",
                                      until_field="payment_claim_until", token=token,
                                      seconds=settings.PAYMENT_CLAIM_SECONDS)
        self.token = token

    def __enter__(self):
        self.renewal.__enter__()

    def __exit__(self, *exc):
        self.renewal.__exit__(*exc)
        self.rows.filter(payment_claim=self.token).update(payment_claim="",
                                                          payment_claim_until=None)


def _payable(donation: Donation) -> None:
    if donation.status not in OPEN:
        raise DonationNotPayable(f"This donation is {donation.get_status_display().lower()}.")


def donation_prepare_card(*, donation_id) -> str:
    """A SetupIntent client secret for Stripe.js to collect the donor's card into.

    Makes a Stripe Customer for the donation once (Radar scores better with one, and a card
    saved through a SetupIntent must belong to one to be charged afterwards). Holds the
    donation's payment claim, not a transaction, while Stripe is called.

    :raises DonationNotPayable: the donation is already paid or canceled.
    :raises PaymentInProgress: the card is being set up or charged by another request.
    :raises stripe_gateway.PaymentProviderError: Stripe unreachable.
    """
    token = leases.new_token()
    donation = _claim_payment(donation_id, token, check=_payable)
    with _PaymentClaim(donation_id, token):
        customer = donation.stripe_customer or stripe_gateway.customer_create(
            email=donation.email,
            name=donation.donor_name,
            metadata={"donation_id": str(donation.pk)},
            idempotency_key=f"lifeline-donation-{donation.pk}-customer",
        )
        seti_id, secret = stripe_gateway.setup_intent_create(
            customer=customer, metadata={"donation_id": str(donation.pk)}
        )
        with transaction.atomic():
            locked = lock_donation(donation_id)
            locked.stripe_customer = locked.stripe_customer or customer
            locked.stripe_setup_intent = seti_id
            locked.save(update_fields=["stripe_customer", "stripe_setup_intent", "updated_at"])
    return secret


class PaymentRefused(Exception):
    """The card-testing defence refused to charge this card now (nothing was charged)."""

    def __init__(self, verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def _has_card(donation: Donation) -> None:
    if donation.status in PAID:
        raise _AlreadyPaid
    if donation.status == S.CANCELED:
        raise DonationNotPayable("This donation was canceled.")
    if not donation.stripe_setup_intent:
        raise DonationNotPayable("No card was given.")


class _AlreadyPaid(Exception):
    pass


def donation_pay(*, donation_id, source: str = DonationEvent.Source.BROWSER,
                 screen=None, on_setup_decline=None) -> PaymentOutcome:
    """Charge the card the donor just set up, confirming the PaymentIntent on the server.

    Takes the donation's payment claim (a short transaction), calls Stripe with no
    transaction open, and writes the outcome in short transactions under the row lock. A
    PaymentIntent that a declined card or an abandoned 3-D Secure left
    behind is replaced (_replace_payment_intent).

    `screen(donation, fingerprint) -> Verdict` is asked before the card is charged (the
    card-testing defence); the outcome carries the card's fingerprint for it to count declines.
    `on_setup_decline(donation, decline)` is told, before `screen` is asked, of a card the
    bank declined when Stripe.js put it into the SetupIntent (the browser saw it; Stripe's
    setup_intent.setup_failed event reports it too).

    A double click waits for the first click's outcome and answers with it (one charge).

    :raises DonationNotPayable: canceled, or no card set up.
    :raises PaymentRefused: `screen` refused the card; nothing was charged.
    :raises stripe_gateway.PaymentProviderError: Stripe unreachable.
    """
    token = leases.new_token()
    try:
        donation = _claim_payment(donation_id, token, check=_has_card)
    except _AlreadyPaid:
        return PaymentOutcome(status="succeeded")
    except PaymentInProgress:
        return _outcome_of_the_other_click(donation_id, source=source)
    with _PaymentClaim(donation_id, token):
        return _pay(donation, source=source, screen=screen, on_setup_decline=on_setup_decline)


def _outcome_of_the_other_click(donation_id, *, source: str) -> PaymentOutcome:
    """Wait (reading, no lock) for the request that holds the claim, then answer with what it
    got: a double click charges once and both clicks see the same result.

    Stripe is asked first, once: a charge already made is applied now (as its webhook would
    be) and answered "succeeded". The claim's holder may be dead: it charged the card, then
    lost the database before writing the success (503), and its claim stays up to
    PAYMENT_CLAIM_SECONDS. The donor pressing again was told "pending" after that wait, with
    the card charged (tests/faults: a PostgreSQL restart, docs/payment-claims.md)."""
    donation = Donation.objects.get(pk=donation_id)
    if donation.stripe_payment_intent:
        pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        if pi.status == "succeeded":
            donation_apply_payment_intent(payment_intent=pi, source=source)
            return PaymentOutcome(status="succeeded", repeated=True)
    deadline = time.monotonic() + settings.PAYMENT_CLAIM_SECONDS
    while (donation.payment_claim_until and donation.payment_claim_until > timezone.now()
           and time.monotonic() < deadline):
        time.sleep(0.1)
        donation = Donation.objects.get(pk=donation_id)
    if donation.status in PAID:
        return PaymentOutcome(status="succeeded", repeated=True)
    if donation.status == S.FAILED:
        return PaymentOutcome(status="declined", message=donation.failure_message or "Declined.",
                              repeated=True)
    return PaymentOutcome(status="pending", repeated=True)


def _pay(donation: Donation, *, source: str, screen, on_setup_decline=None) -> PaymentOutcome:
    card = stripe_gateway.setup_intent_card(donation.stripe_setup_intent)
    if card.decline is not None and on_setup_decline is not None:
        on_setup_decline(donation, card.decline)
    payment_method = card.payment_method
    if card.status != "succeeded" or not payment_method:
        raise DonationNotPayable("The card was not accepted. Please check it and try again.")
    if screen is not None:
        verdict = screen(donation, card.fingerprint)
        if not verdict.allowed:
            raise PaymentRefused(verdict)

    current = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
    if current.status == "succeeded":
        donation_apply_payment_intent(payment_intent=current, source=source)
        return PaymentOutcome(status="succeeded")
    if current.status == "processing":
        return PaymentOutcome(status="pending")
    if not _reusable(current):
        _replace_payment_intent(donation, current, source=source)
    if donation.status == S.FAILED:
        with transaction.atomic():
            locked = lock_donation(donation.pk)
            if locked.status == S.FAILED:
                transition(locked, S.PENDING, source=source,
                           message="Donor tried another card.", strict=True)
    try:
        pi = stripe_gateway.payment_intent_pay(
            payment_intent_id=donation.stripe_payment_intent,
            payment_method=payment_method,
            customer=donation.stripe_customer,
        )
    except stripe_gateway.CardDeclined as exc:
        with transaction.atomic():
            locked = lock_donation(donation.pk)
            if locked.stripe_payment_intent == donation.stripe_payment_intent \
                    and locked.status in OPEN:
                locked.failure_message = exc.message[:300]
                locked.save(update_fields=["failure_message", "updated_at"])
                transition(locked, S.FAILED, source=source, message=exc.message,
                           strict=True)
        return PaymentOutcome(status="declined", message=exc.message,
                              card_fingerprint=card.fingerprint,
                              attempt=stripe_gateway.attempt_key(
                                  intent=donation.stripe_payment_intent, charge=exc.charge,
                                  payment_method=payment_method))
    donation_apply_payment_intent(payment_intent=pi, source=source)
    if pi.status == "succeeded":
        return PaymentOutcome(status="succeeded")
    if pi.status == "requires_action":
        return PaymentOutcome(status="requires_action", client_secret=pi.client_secret)
    if pi.status == "requires_payment_method":
        return PaymentOutcome(status="declined", message=pi.error_message or "Declined.",
                              card_fingerprint=card.fingerprint,
                              attempt=stripe_gateway.attempt_key(
                                  intent=pi.id, charge=pi.charge_id,
                                  payment_method=payment_method))
    return PaymentOutcome(status="pending")


def _reusable(pi: stripe_gateway.PaymentIntentState) -> bool:
    """Can this PaymentIntent take a new card? Not after a failed charge or abandoned 3DS."""
    if pi.status == "requires_confirmation":
        return True
    return pi.status == "requires_payment_method" and not pi.charge_id and not pi.error_message
