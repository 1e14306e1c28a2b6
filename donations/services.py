"""Every write to a donation goes through here.

State changes lock the donation row, check the move against ALLOWED_TRANSITIONS, are no-ops
when repeated, and write a DonationEvent audit row. The paid states (succeeded,
partially_refunded, refunded, disputed) are *derived* from what Stripe reported (refunded
amount, disputes), so events applied in any order, or twice, end in the same state.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from appeals.models import Appeal, Designation
from appeals.selectors import appeal_totals_changed
from core.errors import Invalid, Refused
from core.money import estimate_fee_to_cover, format_money
from donations import leases, receipts
from donations.models import (
    Dispute,
    Donation,
    DonationEvent,
    GiftAidDeclaration,
    PaymentAttempt,
    Receipt,
    Refund,
    ReceiptSequence,
)
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

S = Donation.Status
PAID = {S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.FAILED, S.CANCELED} | PAID,
    # A donor may try another card after a decline.
    S.FAILED: {S.PENDING, S.CANCELED} | PAID,
    # Stripe's word wins: money taken on a PaymentIntent we thought canceled is recorded.
    S.CANCELED: PAID,
    S.SUCCEEDED: PAID,
    S.PARTIALLY_REFUNDED: PAID,
    S.REFUNDED: PAID,
    S.DISPUTED: PAID,
}
# Dispute statuses after which the gift counts again: won, an inquiry closed, or a dispute
# that Stripe's prevention resolved before it became one.
DISPUTE_RESOLVED_FOR_US = {"won", "warning_closed", "prevented"}
DISPUTE_CLOSED = DISPUTE_RESOLVED_FOR_US | {"lost"}

GIFT_AID_WORDING = (
    "I want to Gift Aid my donation and any donations I make in the future or have made in "
    "the past 4 years to {charity}. I am a UK taxpayer and understand that if I pay less "
    "Income Tax and/or Capital Gains Tax than the amount of Gift Aid claimed on all my "
    "donations in that tax year it is my responsibility to pay any difference."
)


class IllegalTransition(Exception):
    pass


class DonationNotPayable(Refused):
    """The donation cannot take a card now (already paid, canceled, or card not set up)."""


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # succeeded | requires_action | declined | pending
    client_secret: str = ""
    message: str = ""
    card_fingerprint: str = ""
    # The outcome of another request's attempt (a double click waited for it): nothing new
    # was tried, so nothing new is counted.
    repeated: bool = False


def gift_aid_wording(charity_name: str) -> str:
    return GIFT_AID_WORDING.format(charity=charity_name)


def _log(donation, *, kind, source, from_status="", to_status="", stripe_event="", actor=None,
         message="", data=None) -> None:
    DonationEvent.objects.create(
        donation=donation, kind=kind, source=source, from_status=from_status,
        to_status=to_status, stripe_event=stripe_event, actor=actor, message=message[:500],
        data=data or {},
    )


def _set_status(donation: Donation, target: str, *, source: str, stripe_event: str = "",
                actor=None, message: str = "") -> bool:
    """Move a locked donation to `target`; False when already there or the move is illegal."""
    current = donation.status
    if current == target:
        return False
    if target not in ALLOWED_TRANSITIONS.get(current, set()):
        logger.warning(
            "ignored illegal donation transition %s -> %s", current, target,
            extra={"donation_id": str(donation.pk), "stripe_event": stripe_event},
        )
        return False
    donation.status = target
    donation.save(update_fields=["status", "updated_at"])
    appeal_id = donation.appeal_id
    transaction.on_commit(lambda: appeal_totals_changed(appeal_id), robust=True)
    _log(donation, kind="status", source=source, from_status=current, to_status=target,
         stripe_event=stripe_event, actor=actor, message=message)
    return True


def _settled_status(donation: Donation) -> str:
    """The paid state that the recorded refunds and disputes imply."""
    if donation.disputes.exclude(status__in=DISPUTE_RESOLVED_FOR_US).exists():
        return S.DISPUTED
    if donation.refunded_amount >= donation.amount:
        return S.REFUNDED
    if donation.refunded_amount > 0:
        return S.PARTIALLY_REFUNDED
    return S.SUCCEEDED


def _locked(donation_id) -> Donation:
    return Donation.objects.select_for_update().get(pk=donation_id)


def _resettle(donation: Donation, *, source: str, stripe_event: str = "", actor=None,
              message: str = "") -> None:
    if donation.status in PAID:
        _set_status(donation, _settled_status(donation), source=source,
                    stripe_event=stripe_event, actor=actor, message=message)


# --- creation ---------------------------------------------------------------------------


def donation_create(
    *,
    appeal: Appeal,
    designation: Designation | None,
    gift_amount: int,
    currency: str,
    cover_fees: bool,
    email: str,
    first_name: str,
    last_name: str,
    anonymous: bool,
    gift_aid: bool,
    address_line1: str,
    postcode: str,
    attribution: dict[str, str],
    charity_name: str,
    donation_id: uuid.UUID | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    on_saved=None,
) -> tuple[Donation, stripe_gateway.PaymentIntentState]:
    """Create a pending donation and its PaymentIntent, all or nothing.

    Input must already be validated. Call with no transaction open: the PaymentIntent is made
    first, with none open (a Stripe call must not hold a database lock), so a Stripe failure
    writes nothing; the donation is then written once, with its id, in one short transaction,
    in which `on_saved(donation, payment_intent)` runs too (the caller's own record of the
    request). If a write fails, nothing is left behind here, only an unconfirmed
    PaymentIntent that nobody can pay. Its Stripe idempotency key derives from the donation
    id, so a retry of a rolled-back attempt with the same id gets the same PaymentIntent.

    :raises stripe_gateway.PaymentProviderError: Stripe unreachable or refused the request.
    """
    amount = gift_amount + (estimate_fee_to_cover(gift_amount, currency) if cover_fees else 0)
    donation = Donation(
        id=donation_id or uuid.uuid4(),
        appeal=appeal,
        designation=designation,
        amount=amount,
        gift_amount=gift_amount,
        currency=currency,
        cover_fees=cover_fees,
        email=email,
        first_name=first_name,
        last_name=last_name,
        anonymous=anonymous,
        gift_aid=gift_aid,
        address_line1=address_line1 if gift_aid else "",
        postcode=postcode if gift_aid else "",
        **attribution,
    )
    # The PaymentIntent first, so that the donation is written once, with its id.
    pi = _payment_intent_create(donation, attempt=1)
    donation.stripe_payment_intent = pi.id
    with transaction.atomic():
        donation.save(force_insert=True)
        PaymentAttempt.objects.create(payment_intent=pi.id, donation=donation)
        if gift_aid:
            GiftAidDeclaration.objects.create(
                donation=donation,
                wording_version=_declaration_version(),
                wording=gift_aid_wording(charity_name),
                scope=GiftAidDeclaration.Scope.PAST_AND_FUTURE,
                declared_at=timezone.now(),
                first_name=first_name,
                last_name=last_name,
                address_line1=address_line1,
                postcode=postcode,
                ip_address=ip_address,
                user_agent=user_agent[:300],
            )
        _log(donation, kind="created", source=DonationEvent.Source.API, to_status=S.PENDING,
             data={"payment_intent": pi.id})
        if on_saved is not None:
            on_saved(donation, pi)
    return donation, pi


def _declaration_version() -> str:
    return settings.GIFT_AID_DECLARATION_VERSION


def _payment_intent_create(donation: Donation, *,
                           attempt: int) -> stripe_gateway.PaymentIntentState:
    """A PaymentIntent for the donation (which need not be saved yet). Its Stripe idempotency
    key derives from the donation id and the attempt: a retry asks for the same one."""
    return stripe_gateway.payment_intent_create(
        amount=donation.amount,
        currency=donation.currency,
        metadata={
            "donation_id": str(donation.pk),
            "appeal": donation.appeal.slug,
            "designation": donation.designation.code if donation.designation else "",
        },
        idempotency_key=f"lifeline-donation-{donation.pk}-pi-{attempt}",
    )


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
    pi = _payment_intent_create(donation, attempt=attempt)
    with transaction.atomic():
        locked = _locked(donation.pk)
        PaymentAttempt.objects.get_or_create(payment_intent=pi.id,
                                             defaults={"donation": locked})
        locked.stripe_payment_intent = pi.id
        locked.save(update_fields=["stripe_payment_intent", "updated_at"])
        _log(locked, kind="payment_intent_replaced", source=source,
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


# --- paying by card ---------------------------------------------------------------------
#
# Stripe is called with no transaction open. A short transaction takes the donation's
# payment claim (`payment_claim` until `payment_claim_until`, renewed while the calls run),
# the calls are made, and their outcome is written in short transactions, each under the
# row lock and state-checked. A second click meanwhile finds the claim: it charges nothing.


class PaymentInProgress(Refused):
    """Another request is setting up or paying this donation right now."""

    default_message = "This gift's card is being set up or charged already: one moment."


def _claim_payment(donation_id, token: str, *, check) -> Donation:
    """Take the donation's payment claim after `check(donation)` (which may raise), in one
    short transaction.

    :raises PaymentInProgress: another request holds the claim.
    """
    with transaction.atomic():
        donation = _locked(donation_id)
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
    if donation.status not in (S.PENDING, S.FAILED):
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
            locked = _locked(donation_id)
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
                 screen=None) -> PaymentOutcome:
    """Charge the card the donor just set up, confirming the PaymentIntent on the server.

    Takes the donation's payment claim (a short transaction), calls Stripe with no
    transaction open, and writes the outcome in short transactions under the row lock. A
    PaymentIntent that a declined card or an abandoned 3-D Secure left
    behind is replaced (_replace_payment_intent).

    `screen(donation, fingerprint) -> Verdict` is asked before the card is charged (the
    card-testing defence); the outcome carries the card's fingerprint for it to count declines.

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
        return _outcome_of_the_other_click(donation_id)
    with _PaymentClaim(donation_id, token):
        return _pay(donation, source=source, screen=screen)


def _outcome_of_the_other_click(donation_id) -> PaymentOutcome:
    """Wait (reading, no lock) for the request that holds the claim, then answer with what it
    got: a double click charges once and both clicks see the same result."""
    deadline = time.monotonic() + settings.PAYMENT_CLAIM_SECONDS
    donation = Donation.objects.get(pk=donation_id)
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


def _pay(donation: Donation, *, source: str, screen) -> PaymentOutcome:
    card = stripe_gateway.setup_intent_card(donation.stripe_setup_intent)
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
            locked = _locked(donation.pk)
            if locked.status == S.FAILED:
                _set_status(locked, S.PENDING, source=source,
                            message="Donor tried another card.")
    try:
        pi = stripe_gateway.payment_intent_pay(
            payment_intent_id=donation.stripe_payment_intent,
            payment_method=payment_method,
            customer=donation.stripe_customer,
        )
    except stripe_gateway.CardDeclined as exc:
        with transaction.atomic():
            locked = _locked(donation.pk)
            if locked.stripe_payment_intent == donation.stripe_payment_intent \
                    and locked.status in (S.PENDING, S.FAILED):
                locked.failure_message = exc.message[:300]
                locked.save(update_fields=["failure_message", "updated_at"])
                _set_status(locked, S.FAILED, source=source, message=exc.message)
        return PaymentOutcome(status="declined", message=exc.message,
                              card_fingerprint=card.fingerprint)
    donation_apply_payment_intent(payment_intent=pi, source=source)
    if pi.status == "succeeded":
        return PaymentOutcome(status="succeeded")
    if pi.status == "requires_action":
        return PaymentOutcome(status="requires_action", client_secret=pi.client_secret)
    if pi.status == "requires_payment_method":
        return PaymentOutcome(status="declined", message=pi.error_message or "Declined.",
                              card_fingerprint=card.fingerprint)
    return PaymentOutcome(status="pending")


def _reusable(pi: stripe_gateway.PaymentIntentState) -> bool:
    """Can this PaymentIntent take a new card? Not after a failed charge or abandoned 3DS."""
    if pi.status == "requires_confirmation":
        return True
    return pi.status == "requires_payment_method" and not pi.charge_id and not pi.error_message


# --- learning what Stripe knows ---------------------------------------------------------


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
    if donation.status not in (S.PENDING, S.FAILED) or not donation.stripe_payment_intent:
        return donation
    pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
    if pi.status in ("succeeded", "processing"):
        return donation_apply_payment_intent(payment_intent=pi, source=source) or donation
    if pi.status != "canceled":
        pi = stripe_gateway.payment_intent_cancel(pi.id)
    with transaction.atomic():
        donation = _locked(donation_id)
        if (donation.stripe_payment_intent == pi.id and donation.status in (S.PENDING, S.FAILED)
                and donation.updated_at <= untouched_since and pi.status == "canceled"):
            _set_status(donation, S.CANCELED, source=source,
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
        donation = _locked(attempt.donation_id)
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
            _apply_refunded(donation, amount_refunded=pi.amount_refunded, charge=pi.charge_id,
                            source=source, stripe_event=stripe_event)
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
        _set_status(donation, _settled_status(donation), source=source,
                    stripe_event=stripe_event, message="Payment succeeded.")
        on_payment_succeeded(donation)
        # Refunded at Stripe before we heard of the success: the books show both.
        _apply_refunded(donation, amount_refunded=pi.amount_refunded, charge=pi.charge_id,
                        source=source, stripe_event=stripe_event)
    elif not is_current:
        return
    elif pi.status == "canceled":
        _set_status(donation, S.CANCELED, source=source, stripe_event=stripe_event)
    elif pi.status == "requires_payment_method" and pi.error_message:
        if donation.status == S.PENDING:
            donation.failure_message = pi.error_message[:300]
            donation.save(update_fields=["failure_message", "updated_at"])
        _set_status(donation, S.FAILED, source=source, stripe_event=stripe_event,
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
    """What follows a success, inside the same transaction: the receipt."""
    receipt_issue(donation=donation)


# --- receipts ---------------------------------------------------------------------------


def _next_receipt_sequence(year: int) -> int:
    """Take the next number of `year` under the counter's row lock (gapless on rollback)."""
    ReceiptSequence.objects.get_or_create(year=year)  # savepoint inside: safe under races
    counter = ReceiptSequence.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def receipt_issue(*, donation: Donation) -> Receipt:
    """Issue the donation's receipt, once; queue its email when the transaction commits.

    Call inside a transaction holding the donation's row lock. `issued_at` is the gift's
    date (`succeeded_at`: when Stripe charged the card), and the number's year is its
    calendar year in the charity's TIME_ZONE, however late we heard of it.
    """
    existing = Receipt.objects.filter(donation=donation).first()
    if existing is not None:
        return existing
    issued_at = donation.succeeded_at or timezone.now()
    year = timezone.localtime(issued_at).year
    sequence = _next_receipt_sequence(year)
    receipt = Receipt.objects.create(
        donation=donation,
        year=year,
        sequence=sequence,
        number=f"{settings.RECEIPT_PREFIX}-{year}-{sequence:06d}",
        issued_at=issued_at,
        email_queued_at=timezone.now(),
    )
    _log(donation, kind="receipt_issued", source=DonationEvent.Source.SYSTEM,
         data={"receipt": receipt.number})
    receipt_pk = receipt.pk
    transaction.on_commit(lambda: receipt_queue_email(receipt_id=receipt_pk))
    return receipt


def _enqueue(task, *args, receipt_id: int, countdown: float = 0) -> bool:
    """Hand a receipt task to the worker. A broker outage is logged, not raised: what must be
    done is in the database already (an unsent receipt, a request in the history)."""
    try:
        task.apply_async(args, countdown=countdown or None)
    except Exception:  # noqa: BLE001 - kombu raises many kinds; the sweeper retries them all
        logger.warning("could not queue %s", task.name, exc_info=True,
                       extra={"receipt_id": receipt_id})
        return False
    return True


def receipt_queue_email(*, receipt_id: int, countdown: float = 0) -> bool:
    """Start the receipt's retry chain: a new chain token in the row (an older chain, if any
    is still alive, stops at its next attempt), then the first attempt queued. If the broker
    is down the sweeper starts it again later."""
    from donations.tasks import send_receipt_email

    chain = leases.new_token()
    Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True).update(
        email_chain=chain, email_queued_at=timezone.now(),
        email_retry_at=timezone.now() + timedelta(seconds=countdown),
    )
    return _enqueue(send_receipt_email, receipt_id, chain, receipt_id=receipt_id,
                    countdown=countdown)


def receipt_send(*, receipt_id: int, chain: str | None = None, resend: bool = False,
                 actor=None) -> bool:
    """Email the receipt unless it was sent already (True when this call sent it).

    No transaction is open while the mail server is talked to. A short transaction takes a
    lease on the receipt (`email_claim`, `email_sending_until`) and commits; the message goes;
    a second short transaction records `email_sent_at` as soon as the server has accepted it
    (its 250), before the SMTP session is closed. A second copy of the task finds the lease
    and skips; a crashed sender's lease lapses within RECEIPT_SEND_LEASE seconds and the
    sweeper sends it then. A duplicate email needs the sender to die between the server's
    250 and that commit. If the database went away in that instant, we keep trying to record
    the send (RECEIPT_RECORD_PATIENCE seconds) rather than sending again. `email_sent_at` is
    the moment the message was handed to the server.

    `chain` is the retry chain's token (receipt_queue_email): a task of a chain the sweeper
    replaced does nothing.

    :raises smtplib.SMTPException, OSError: the mail server refused or is unreachable
        (the task retries; nothing was recorded but the attempt and its error).
    """
    claim = leases.new_token()
    lease = settings.RECEIPT_SEND_LEASE
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update(of=("self",)).filter(pk=receipt_id).first()
        if receipt is None or (receipt.email_sent_at and not resend):
            return False
        if not resend and chain is not None and receipt.email_chain not in ("", chain):
            return False  # a newer chain has this receipt
        if receipt.email_sending_until and receipt.email_sending_until > timezone.now():
            logger.info("receipt is being sent by another worker",
                        extra={"receipt_id": receipt_id})
            return False
        receipt.email_claim = claim
        receipt.email_sending_until = leases.expiry(lease)
        receipt.save(update_fields=["email_claim", "email_sending_until"])
    claimed = Receipt.objects.filter(pk=receipt_id)
    receipt = claimed.select_related("donation__appeal", "donation__designation").get()
    message = receipts.receipt_email(receipt)
    # The same id for every try of one send: if a crash makes us send it twice, mail
    # clients that collapse duplicate Message-IDs show it once. A resend is new mail.
    message.extra_headers["Message-ID"] = receipts.message_id(
        receipt, resend=resend, attempt=receipt.email_attempts + 1)
    mail = get_connection(fail_silently=False)
    handed_at = timezone.now()
    try:
        with leases.Renewal(claimed, claim_field="email_claim",
                            until_field="email_sending_until", token=claim, seconds=lease):
            mail.open()
            mail.send_messages([message])  # back after the server's 250: accepted
    except BaseException:
        _close_quietly(mail)
        claimed.filter(email_claim=claim).update(email_claim="", email_sending_until=None)
        raise
    try:
        _record_sent(receipt_id, claim=claim, handed_at=handed_at, resend=resend, actor=actor)
    except (OperationalError, InterfaceError):
        _record_sent_after_outage(receipt_id, handed_at)
    finally:
        _close_quietly(mail)
    return True


def _record_sent(receipt_id: int, *, claim: str, handed_at, resend: bool, actor) -> None:
    """The server took the message: say so, and free the lease, in one short transaction."""
    with transaction.atomic():
        receipt = (Receipt.objects.select_for_update(of=("self",))
                   .select_related("donation").get(pk=receipt_id))
        receipt.email_sent_at = handed_at
        receipt.email_attempts += 1
        receipt.email_last_error = ""
        if receipt.email_claim == claim:
            receipt.email_claim, receipt.email_sending_until = "", None
        receipt.save(update_fields=["email_sent_at", "email_attempts", "email_last_error",
                                    "email_claim", "email_sending_until"])
        _log(receipt.donation, kind="receipt_resent" if resend else "receipt_sent",
             source=DonationEvent.Source.ADMIN if actor else DonationEvent.Source.SYSTEM,
             actor=actor, data={"receipt": receipt.number, "to": "donor"})


def _close_quietly(mail) -> None:
    """QUIT after the commit. The message was accepted or refused already: a server that
    hangs up now changes nothing, and must not hide the error being raised, if any."""
    try:
        mail.close()
    except (smtplib.SMTPException, OSError):
        logger.info("mail server closed the session badly", exc_info=True)


def _record_sent_after_outage(receipt_id: int, accepted_at) -> None:
    """The mail server took the receipt but the database dropped us before we recorded it:
    record it as soon as the database is back, so that no one sends it again."""
    deadline = time.monotonic() + settings.RECEIPT_RECORD_PATIENCE
    delay = 0.2
    while True:
        connection.close()  # the broken one; the next query opens a new connection
        try:
            Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True).update(
                email_sent_at=accepted_at, email_attempts=F("email_attempts") + 1,
                email_last_error="", email_claim="", email_sending_until=None,
            )
            logger.warning("receipt recorded as sent after a database outage",
                           extra={"receipt_id": receipt_id})
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                logger.error("receipt emailed but not recorded: it may be sent again",
                             extra={"receipt_id": receipt_id})
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def receipt_queue_resend(*, receipt: Receipt, actor) -> bool:
    """Queue the receipt's email again, same number, at an admin's request."""
    from donations.tasks import resend_receipt_email

    if not _enqueue(resend_receipt_email, receipt.pk, getattr(actor, "pk", None),
                    receipt_id=receipt.pk):
        return False
    _log(receipt.donation, kind="receipt_resend_requested", source=DonationEvent.Source.ADMIN,
         actor=actor, data={"receipt": receipt.number})
    return True


def receipt_record_send_failure(*, receipt_id: int, error: str, chain: str | None = None,
                                retry_in: float | None = None) -> bool:
    """Count a failed attempt; with `retry_in`, note when the chain's next attempt is due
    (the sweeper leaves the receipt to that chain until then). False: this chain was
    replaced by a newer one (or the receipt was sent meanwhile), so it must stop here."""
    unsent = Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True)
    current = unsent if chain is None else unsent.filter(email_chain__in=("", chain))
    changes = {"email_attempts": F("email_attempts") + 1, "email_last_error": error[:300]}
    if retry_in is not None:
        changes["email_retry_at"] = timezone.now() + timedelta(seconds=retry_in)
    if current.update(**changes):
        return True
    unsent.update(email_attempts=F("email_attempts") + 1, email_last_error=error[:300])
    return False


def receipt_sweep_unsent(*, older_than_seconds: int) -> int:
    """Start a new retry chain for every unsent receipt whose chain has died: its next
    attempt was due longer ago than `older_than_seconds` (a lost message, a broker outage, a
    killed worker, retries used up). A chain still waiting for its next attempt is left
    alone, so an outage costs one attempt per receipt per backoff step, however long it
    lasts. A receipt whose sender is still (or was, until it crashed) talking to the mail
    server is queued for when its lease ends. Count them."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    never_queued = Q(email_retry_at__isnull=True) & (
        Q(email_queued_at__isnull=True) | Q(email_queued_at__lte=cutoff))
    rows = list(
        Receipt.objects.filter(email_sent_at__isnull=True)
        .filter(never_queued | Q(email_retry_at__lte=cutoff))
        .values_list("pk", "email_sending_until")[:1000]
    )
    for receipt_id, sending_until in rows:
        wait = (sending_until - now).total_seconds() + 1 if sending_until else 0
        receipt_queue_email(receipt_id=receipt_id, countdown=max(wait, 0))
    return len(rows)


# --- after the gift: refunds and disputes -----------------------------------------------


def donation_of_charge(*, payment_intent: str, charge: str) -> Donation | None:
    """The donation a charge belongs to, from what we recorded only (never asks Stripe)."""
    if charge:
        found = Donation.objects.filter(stripe_charge=charge).first()
        if found:
            return found
    if payment_intent:
        attempt = PaymentAttempt.objects.select_related("donation").filter(
            payment_intent=payment_intent).first()
        if attempt:
            return attempt.donation
    return None


def _donation_for(*, payment_intent: str, charge: str) -> Donation | None:
    """The donation a charge belongs to; asks Stripe when only an unknown charge is named."""
    found = donation_of_charge(payment_intent=payment_intent, charge=charge)
    if found is None and charge and not payment_intent:
        # A dispute or refund can name only the charge, before we recorded it: re-read.
        payment_intent = stripe_gateway.charge_payment_intent(charge)
        found = donation_of_charge(payment_intent=payment_intent, charge="")
    return found


# A refund the admin form has asked Stripe for, with no answer yet (its row's status).
REFUND_REQUESTED = "requested"
# After this long without Stripe's answer (its timeout and retries are far shorter), the
# request died with its process: it no longer holds back what is left, and submitting the
# same form again asks Stripe again with the same idempotency key.
REFUND_REQUEST_STALE = timedelta(minutes=5)


def _record_refund_seen(donation: Donation, refund: dict) -> None:
    """Keep a refund that Stripe reports (made in its dashboard, say) in the history. One the
    admin form asked for (its request key in the metadata) completes that form's row."""
    if not refund.get("id") or not refund.get("amount"):
        return
    values = {"donation": donation, "amount": refund["amount"],
              "status": refund.get("status") or ""}
    if Refund.objects.filter(stripe_id=refund["id"]).update(**values):
        return
    key = (refund.get("metadata") or {}).get("lifeline_request_key")
    if key and Refund.objects.filter(request_key=key, status=REFUND_REQUESTED).update(
            stripe_id=refund["id"], **values):
        return
    Refund.objects.create(stripe_id=refund["id"], **values)


def _apply_refunded(donation: Donation, *, amount_refunded: int, charge: str, source: str,
                    stripe_event: str = "", actor=None, message: str = "",
                    refunds=()) -> bool:
    """Record a locked donation's cumulative refunded amount as Stripe's charge gives it.

    Monotonic: a figure at or below what we hold (a stale event, a refund already counted)
    changes nothing, so every path that learns of a refund may apply it, in any order.
    `refunds`: the charge's refund objects (dicts), when known, kept for history.
    """
    for seen in refunds:
        _record_refund_seen(donation, seen)
    if amount_refunded <= donation.refunded_amount:
        return False
    before = donation.refunded_amount
    donation.refunded_amount = amount_refunded
    if charge and not donation.stripe_charge:
        donation.stripe_charge = charge
    donation.save(update_fields=["refunded_amount", "stripe_charge", "updated_at"])
    _log(donation, kind="refund", source=source, stripe_event=stripe_event, actor=actor,
         data={"refunded_before": before, "refunded_after": amount_refunded})
    appeal_id = donation.appeal_id
    transaction.on_commit(lambda: appeal_totals_changed(appeal_id), robust=True)
    _resettle(donation, source=source, stripe_event=stripe_event, actor=actor, message=message)
    return True


def donation_record_refund(*, payment_intent: str, charge: str, amount_refunded: int,
                           source: str, stripe_event: str = "", actor=None,
                           refunds: list[dict] = ()) -> Donation | None:
    """Record the charge's cumulative refunded amount (monotonic: a stale event changes nothing).

    `refunds`: the charge's refund objects, when the event carries them, kept for history.
    """
    found = _donation_for(payment_intent=payment_intent, charge=charge)
    if found is None:
        return None
    with transaction.atomic():
        donation = _locked(found.pk)
        _apply_refunded(donation, amount_refunded=amount_refunded, charge=charge, source=source,
                        stripe_event=stripe_event, actor=actor, refunds=refunds)
    return donation


def donation_sync_refunds(*, donation_id, source: str, actor=None) -> int | None:
    """Read what Stripe has refunded on a paid gift's charge now, and apply it.

    Stripe is asked outside any transaction; the answer is applied under the row lock.
    Returns Stripe's refunded total (None: the gift is unpaid, nothing to ask about).

    :raises stripe_gateway.PaymentProviderError: Stripe unreachable; nothing changed.
    """
    donation = Donation.objects.get(pk=donation_id)
    if donation.status not in PAID:
        return None
    if donation.stripe_charge:
        charge = stripe_gateway.charge_retrieve(donation.stripe_charge)
        total, charge_id = charge.amount_refunded, charge.id
        refunds = [r.as_dict() for r in charge.refunds]
    elif donation.stripe_payment_intent:
        pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        total, charge_id, refunds = pi.amount_refunded, pi.charge_id, []
    else:
        return None
    with transaction.atomic():
        donation = _locked(donation_id)
        _apply_refunded(donation, amount_refunded=total, charge=charge_id, source=source,
                        actor=actor, refunds=refunds)
    return total


class RefundRefused(Invalid):
    """The refund cannot be made as asked (amount, state); `message` says why."""


REFUNDABLE = {S.SUCCEEDED, S.PARTIALLY_REFUNDED}
# Refunds Stripe has taken on (pending ones are on their way); failed and canceled are not.
REFUND_COUNTS = {"succeeded", "pending", "requires_action"}


def _requested_in_flight(donation: Donation, *, but: str = "") -> int:
    """What refunds asked of Stripe and not yet answered hold back, in minor units."""
    rows = Refund.objects.filter(
        donation=donation, status=REFUND_REQUESTED,
        created_at__gt=timezone.now() - REFUND_REQUEST_STALE,
    ).exclude(request_key=but)
    return sum(rows.values_list("amount", flat=True))


def donation_refundable(donation: Donation) -> int:
    """What is left to refund, in minor units (0 when the gift cannot be refunded now)."""
    if donation.status not in REFUNDABLE:
        return 0
    return max(donation.amount - donation.refunded_amount - _requested_in_flight(donation), 0)


def donation_refund(*, donation_id, amount: int, actor, reason: str = "",
                    request_key: str) -> Refund:
    """Refund `amount` (minor units) of a paid gift through Stripe, and apply Stripe's answer
    at once (the stand-in sends no refund event; real Stripe's `charge.refunded` that follows
    then changes nothing).

    Stripe's refunded figure for the charge is read and applied first, so a refund made in
    Stripe's dashboard counts before we judge what is left. No lock is held across a Stripe
    call: the refund is claimed under the donation's row lock (a `requested` row that holds
    its amount back, so two admins cannot together refund more than the gift), Stripe is
    asked outside any transaction, and the charge's new cumulative refunded amount is applied
    under the lock again. `request_key` (minted when the form was shown) is also Stripe's
    idempotency key: a double-submitted form gets the first refund (or its claim, while
    Stripe is still answering), never a second one.

    :raises RefundRefused: the amount is not positive, exceeds what is left, or the gift is
        not in a refundable state (disputed, unpaid, refunded).
    :raises stripe_gateway.PaymentProviderError: Stripe could not be asked; nothing changed.
    """
    done = Refund.objects.filter(request_key=request_key).first()
    if done is not None and not _stale_request(done):
        return done
    known = donation_sync_refunds(donation_id=donation_id, source=DonationEvent.Source.ADMIN,
                                  actor=actor)
    claim, mine = _refund_claim(donation_id=donation_id, amount=amount, actor=actor,
                                reason=reason, request_key=request_key)
    if not mine and not _stale_request(claim):
        return claim  # the same form, submitted twice at once: the first one asks Stripe
    donation = claim.donation
    if known is None:
        known = donation.refunded_amount
    try:
        answer = stripe_gateway.refund_create(
            payment_intent=donation.stripe_payment_intent, amount=claim.amount,
            idempotency_key=f"lifeline-refund-{request_key}",
            metadata={"donation_id": str(donation.pk), "lifeline_request_key": request_key},
        )
    except stripe_gateway.PaymentProviderError:
        Refund.objects.filter(pk=claim.pk, status=REFUND_REQUESTED).delete()
        raise
    try:
        total = stripe_gateway.charge_retrieve(answer.charge_id or donation.stripe_charge)
        refunded = max(total.amount_refunded, known + answer.amount)
    except stripe_gateway.PaymentProviderError:
        # Refunded, but the new total could not be read: count what we know is refunded
        # (never more); the next reconciliation reads the charge again, the refund being new.
        refunded = known + answer.amount
    return _refund_answered(claim_pk=claim.pk, donation_id=donation.pk, answer=answer,
                            refunded=refunded, actor=actor, reason=reason,
                            request_key=request_key)


def _stale_request(refund: Refund) -> bool:
    return (refund.status == REFUND_REQUESTED
            and refund.created_at <= timezone.now() - REFUND_REQUEST_STALE)


def _refund_claim(*, donation_id, amount: int, actor, reason: str,
                  request_key: str) -> tuple[Refund, bool]:
    """Under the row lock: check the refund against what is left, and hold its amount back
    with a `requested` row: (that row, True). The form's row if it has one: (it, False)."""
    with transaction.atomic():
        donation = _locked(donation_id)
        existing = Refund.objects.select_related("donation").filter(
            request_key=request_key).first()
        if existing is not None:
            return existing, False
        if donation.status not in REFUNDABLE:
            raise RefundRefused(
                f"A {donation.get_status_display().lower()} gift cannot be refunded."
            )
        if amount <= 0:
            raise RefundRefused("Enter an amount greater than zero.")
        left = donation_refundable(donation)
        if amount > left:
            raise RefundRefused(
                f"At most {format_money(left, donation.currency)} is left to refund."
            )
        return Refund.objects.create(
            stripe_id=f"{REFUND_REQUESTED}-{request_key}", donation=donation, amount=amount,
            status=REFUND_REQUESTED, reason=reason[:300], request_key=request_key, actor=actor,
        ), True


def _refund_answered(*, claim_pk: int, donation_id, answer: stripe_gateway.RefundState,
                     refunded: int, actor, reason: str, request_key: str) -> Refund:
    """Under the row lock: the claim becomes Stripe's refund, and the charge's refunded
    total is applied. A reconciliation may have recorded the refund already: one row stays."""
    with transaction.atomic():
        donation = _locked(donation_id)
        claim = Refund.objects.filter(pk=claim_pk).first()
        row = Refund.objects.filter(stripe_id=answer.id).exclude(pk=claim_pk).first()
        if row is not None and claim is not None:
            claim.delete()
        row = row or claim or Refund(donation=donation)
        row.stripe_id, row.amount, row.status = answer.id, answer.amount, answer.status
        row.reason, row.request_key, row.actor = reason[:300], request_key, actor
        row.save()
        _log(donation, kind="refund_requested", source=DonationEvent.Source.ADMIN, actor=actor,
             message=reason, data={"refund": answer.id, "amount": answer.amount,
                                   "status": answer.status})
        if answer.status in REFUND_COUNTS:
            _apply_refunded(donation, amount_refunded=refunded, charge=answer.charge_id,
                            source=DonationEvent.Source.ADMIN, actor=actor, message=reason)
    return row


def donation_record_dispute(*, dispute: dict, source: str, stripe_event: str = "") -> Donation | None:
    """Record a dispute's state from a `charge.dispute.*` object.

    A closed dispute is never reopened by a late `created` event.
    """
    found = _donation_for(
        payment_intent=stripe_gateway.object_id(dispute.get("payment_intent")),
        charge=stripe_gateway.object_id(dispute.get("charge")),
    )
    if found is None:
        return None
    status = dispute.get("status") or "needs_response"
    closed = status in DISPUTE_CLOSED
    with transaction.atomic():
        donation = _locked(found.pk)
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
        _log(donation, kind="dispute", source=source, stripe_event=stripe_event,
             data={"dispute": row.stripe_id, "status": status, "amount": row.amount})
        _resettle(donation, source=source, stripe_event=stripe_event)
    return donation


def donation_payment_intent_event(*, payment_intent_id: str, source: str,
                                  stripe_event: str = "") -> Donation | None:
    """A payment_intent.* event: re-read the PaymentIntent and apply its current state."""
    if not PaymentAttempt.objects.filter(payment_intent=payment_intent_id).exists():
        return None
    pi = stripe_gateway.payment_intent_retrieve(payment_intent_id)
    return donation_apply_payment_intent(payment_intent=pi, source=source,
                                         stripe_event=stripe_event)
