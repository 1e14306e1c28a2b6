"""Paying by card: the card Stripe.js put into a ConfirmationToken, charged on the server.

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
from django.utils.translation import gettext, gettext_lazy

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
    """The donation cannot take a card now (canceled)."""


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

    default_message = gettext_lazy("This gift's card is being charged already: one moment.")


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


class PaymentRefused(Exception):
    """The card-testing defence refused to charge this card now (nothing was charged)."""

    def __init__(self, verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def _confirmable(donation: Donation) -> None:
    if donation.status in PAID:
        raise _AlreadyPaid
    if donation.status == S.CANCELED:
        raise DonationNotPayable(gettext("This donation was canceled."))


class _AlreadyPaid(Exception):
    pass


def donation_pay(*, donation_id, confirmation_token: str,
                 source: str = DonationEvent.Source.BROWSER, screen=None) -> PaymentOutcome:
    """Charge the card Stripe.js put into `confirmation_token`: the donation's PaymentIntent
    confirmed on the server, one Stripe call whose answer is applied as it stands.

    Takes the donation's payment claim (a short transaction), calls Stripe with no
    transaction open, and writes the outcome in short transactions under the row lock. A
    declined card leaves the PaymentIntent to take the donor's next card (Stripe allows a
    confirm after a decline).

    `screen(donation, card) -> Verdict` is asked before the card is charged (the card-testing
    defence); `card()` reads the card's fingerprint from the token at Stripe (one call), and
    the screen calls it only when the card can matter (attack mode, a retry after a decline):
    a first try costs no read. A decline's outcome carries the fingerprint for the defence to
    count (read on declines only, once).

    A double click waits for the first click's outcome and answers with it (one charge).

    :raises DonationNotPayable: canceled.
    :raises PaymentRefused: `screen` refused the card; nothing was charged.
    :raises stripe_gateway.PaymentProviderError: Stripe unreachable.
    """
    token = leases.new_token()
    try:
        donation = _claim_payment(donation_id, token, check=_confirmable)
    except _AlreadyPaid:
        return PaymentOutcome(status="succeeded")
    except PaymentInProgress:
        return _outcome_of_the_other_click(donation_id, source=source)
    with _PaymentClaim(donation_id, token):
        return _pay(donation, confirmation_token, source=source, screen=screen)


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
        return PaymentOutcome(status="declined", message=stripe_gateway.decline_message(
                                  donation.failure_message or "Declined."),
                              repeated=True)
    return PaymentOutcome(status="pending", repeated=True)


def _pay(donation: Donation, confirmation_token: str, *, source: str,
         screen) -> PaymentOutcome:
    card = _Card(confirmation_token)
    if screen is not None:
        verdict = screen(donation, card.fingerprint)
        if not verdict.allowed:
            raise PaymentRefused(verdict)
    retried = False
    if donation.status == S.FAILED:
        with transaction.atomic():
            locked = lock_donation(donation.pk)
            if locked.status == S.FAILED:
                transition(locked, S.PENDING, source=source,
                           message="Donor tried another card.", strict=True)
                retried = True
    try:
        pi = _confirm(donation, confirmation_token, source=source)
    except stripe_gateway.PaymentProviderError:
        if retried:
            _back_to_failed(donation, source=source)
        raise
    except stripe_gateway.CardDeclined as exc:
        with transaction.atomic():
            locked = lock_donation(donation.pk)
            if locked.stripe_payment_intent == donation.stripe_payment_intent \
                    and locked.status in OPEN:
                locked.failure_message = exc.message[:300]
                locked.save(update_fields=["failure_message", "updated_at"])
                transition(locked, S.FAILED, source=source, message=exc.message,
                           strict=True)
        return PaymentOutcome(status="declined",
                              message=stripe_gateway.decline_message(exc.message),
                              card_fingerprint=card.fingerprint(),
                              attempt=stripe_gateway.attempt_key(
                                  intent=donation.stripe_payment_intent, charge=exc.charge,
                                  payment_method=confirmation_token))
    donation_apply_payment_intent(payment_intent=pi, source=source)
    if pi.status == "succeeded":
        return PaymentOutcome(status="succeeded")
    if pi.status == "requires_action":
        return PaymentOutcome(status="requires_action", client_secret=pi.client_secret)
    if pi.status == "requires_payment_method":
        return PaymentOutcome(status="declined", message=stripe_gateway.decline_message(
                                  pi.error_message or "Declined."),
                              card_fingerprint=card.fingerprint(),
                              attempt=stripe_gateway.attempt_key(
                                  intent=pi.id, charge=pi.charge_id,
                                  payment_method=confirmation_token))
    return PaymentOutcome(status="pending")


def _back_to_failed(donation: Donation, *, source: str) -> None:
    """Stripe did not answer a retry's confirm: the gift shows its last decline again (a
    success Stripe made meanwhile still arrives by webhook or sync)."""
    with transaction.atomic():
        locked = lock_donation(donation.pk)
        if locked.status == S.PENDING \
                and locked.stripe_payment_intent == donation.stripe_payment_intent:
            transition(locked, S.FAILED, source=source,
                       message="Stripe did not answer; the donor may try again.")


def _confirm(donation: Donation, confirmation_token: str, *,
             source: str) -> stripe_gateway.PaymentIntentState:
    """Confirm the donation's PaymentIntent with the token. One that cannot be confirmed any
    more (a 3-D Secure the donor walked away from, a canceled one) is read; succeeded, it is
    the answer; otherwise the donation gets a new PaymentIntent and the token confirms that.
    """
    try:
        return stripe_gateway.payment_intent_confirm(
            payment_intent_id=donation.stripe_payment_intent,
            confirmation_token=confirmation_token)
    except stripe_gateway.IntentNotConfirmable:
        current = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        if current.status in ("succeeded", "processing"):
            return current
        if donation.regular_gift_id is not None:
            # A monthly gift's first month is its invoice's PaymentIntent: another one
            # would not pay the invoice, nor start the subscription.
            raise DonationNotPayable(gettext("This monthly gift's first payment can no longer "
                                             "be made here; please start the gift again."))
        _replace_payment_intent(donation, current, source=source)
        return stripe_gateway.payment_intent_confirm(
            payment_intent_id=donation.stripe_payment_intent,
            confirmation_token=confirmation_token)


class _Card:
    """The token's card fingerprint, read from Stripe at most once and only when asked (the
    defence on a retry or in attack mode, a decline to count); "" if Stripe cannot say."""

    def __init__(self, confirmation_token: str):
        self.token = confirmation_token
        self.read: str | None = None

    def fingerprint(self) -> str:
        if self.read is None:
            try:
                self.read = stripe_gateway.confirmation_token_fingerprint(self.token)
            except stripe_gateway.PaymentProviderError:
                self.read = ""
        return self.read
