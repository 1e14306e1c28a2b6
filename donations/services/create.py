"""Creating a gift: the donation, its PaymentIntent and Gift Aid declaration, all or nothing;
and the API's idempotency protocol around it (docs/idempotency.md).

The protocol: a request with an `Idempotency-Key` claims the key (a row naming the donation
it will create) before anything is made; the donation's transaction records the answer in
that row; the same key and body later get that answer again, another body a 422. A request
that fails before creating anything frees its key.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from appeals.models import Appeal, Designation
from core.errors import Refused, Unprocessable
from core.money import estimate_fee_to_cover
from donations.giftaid import declaration_version, gift_aid_wording
from donations.models import (
    Donation,
    DonationEvent,
    GiftAidDeclaration,
    IdempotencyKey,
    PaymentAttempt,
    RegularGift,
)
from donations.services.transitions import log_event
from donations.states import EventKind, S
from gateways import stripe as stripe_gateway

KEY_FIELD = "Idempotency-Key"


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
    frequency: str = RegularGift.Frequency.ONCE,
    language: str = "en",
) -> tuple[Donation, stripe_gateway.PaymentIntentState]:
    """Create a pending donation and its PaymentIntent, all or nothing.

    A `monthly` gift is a RegularGift too: the donor's Customer and Subscription are made at
    Stripe first, and the donation is its first month, paid through the first invoice's
    PaymentIntent exactly as a one-off gift's (docs/monthly-gifts.md).

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
        language=language,
        **attribution,
    )
    # The PaymentIntent first, so that the donation is written once, with its id.
    regular_gift = None
    if frequency == RegularGift.Frequency.MONTHLY:
        regular_gift, pi = _start_monthly(donation)
    else:
        pi = new_payment_intent(donation, attempt=1)
    donation.stripe_payment_intent = pi.id
    with transaction.atomic():
        if regular_gift is not None:
            regular_gift.save(force_insert=True)
        donation.save(force_insert=True)
        PaymentAttempt.objects.create(payment_intent=pi.id, donation=donation)
        if gift_aid:
            declaration = GiftAidDeclaration.objects.create(
                donation=donation,
                wording_version=declaration_version(),
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
            if regular_gift is not None:
                regular_gift.declaration = declaration
                regular_gift.save(update_fields=["declaration", "updated_at"])
        log_event(donation, kind=EventKind.CREATED, source=DonationEvent.Source.API,
                  to_status=S.PENDING, data={"payment_intent": pi.id, **(
                      {"regular_gift": str(regular_gift.pk), "invoice": donation.stripe_invoice}
                      if regular_gift is not None else {})})
        if on_saved is not None:
            on_saved(donation, pi)
    return donation, pi


def new_payment_intent(donation: Donation, *,
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


def _start_monthly(donation: Donation) -> tuple[RegularGift, stripe_gateway.PaymentIntentState]:
    """The monthly gift of which `donation` (not saved yet) is the first month: its Customer
    and Subscription made at Stripe (no transaction open), the RegularGift and the donation
    filled in, to be saved by the caller. Stripe's idempotency keys derive from the donation
    id: a retry of a rolled-back attempt gets the same Customer and Subscription."""
    regular_gift = RegularGift(
        appeal=donation.appeal, designation=donation.designation, amount=donation.amount,
        gift_amount=donation.gift_amount, currency=donation.currency,
        cover_fees=donation.cover_fees, email=donation.email, first_name=donation.first_name,
        last_name=donation.last_name, anonymous=donation.anonymous, gift_aid=donation.gift_aid,
        address_line1=donation.address_line1, postcode=donation.postcode,
        language=donation.language,
    )
    first = stripe_gateway.subscription_start(
        email=donation.email, name=donation.donor_name, amount=donation.amount,
        currency=donation.currency,
        metadata={
            "donation_id": str(donation.pk),
            "appeal": donation.appeal.slug,
            "designation": donation.designation.code if donation.designation else "",
            "frequency": RegularGift.Frequency.MONTHLY,
        },
        idempotency_key=f"lifeline-donation-{donation.pk}",
    )
    regular_gift.stripe_customer = first.customer
    regular_gift.stripe_subscription = first.subscription
    donation.regular_gift = regular_gift
    donation.stripe_invoice = first.invoice
    donation.stripe_customer = first.customer
    # What the API's answer needs of it: the first month's PaymentIntent, not yet confirmed.
    pi = stripe_gateway.PaymentIntentState(
        id=first.payment_intent, status="requires_payment_method", amount=donation.amount,
        currency=donation.currency, client_secret=first.client_secret, charge_id="",
        amount_refunded=0, fee=None, net=None, error_message="",
    )
    return regular_gift, pi


# --- the idempotency protocol -----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the API answered a request: given again to a retry with the same key and body."""

    status: int
    body: dict


class KeyReused(Unprocessable):
    default_message = gettext_lazy("This key was already used with a different request body.")


class KeyInUse(Refused):
    default_message = gettext_lazy("A request with this key is still being processed; "
                                   "try again in a moment.")


def request_fingerprint(data) -> str:
    """A hash of the request's canonical body: the same key must come with the same body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_answer(*, client: str, key: str, fingerprint: str) -> Answer | None:
    """The answer already given to this key (None: none yet, or still being answered).

    :raises KeyReused: the key came with another body.
    """
    record = IdempotencyKey.objects.filter(client=client, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise KeyReused(field=KEY_FIELD)
    if not record.response_status:
        return None  # still being answered: _claim_key waits for it
    return Answer(record.response_status, record.response_body)


def donation_create_once(*, client: str, key: str, fingerprint: str,
                         answer: Callable[[Donation, stripe_gateway.PaymentIntentState], dict],
                         **fields) -> Answer:
    """`donation_create(**fields)` under the request's Idempotency-Key (none: `key` is "").

    `client` scopes the key (a hash of who sent it), `fingerprint` is the body's
    (request_fingerprint), `answer(donation, payment_intent)` the 201's body, recorded with
    the donation. Call with no transaction open.

    :raises KeyReused: the key came with another body.
    :raises KeyInUse: another request with this key is still being answered.
    :raises stripe_gateway.PaymentProviderError: Stripe unreachable (the key is freed).
    """
    # Random (uuid4), whatever the key: the key row remembers the donation it names.
    donation_id = uuid.uuid4()
    if key:
        claimed = _claim_key(client, key, fingerprint, donation_id)
        if isinstance(claimed, Answer):
            return claimed
        donation_id = claimed or donation_id

    def record_answer(donation, pi):  # in the transaction that writes the donation
        if key:
            IdempotencyKey.objects.filter(client=client, key=key).update(
                donation=donation, response_status=HTTPStatus.CREATED,
                response_body=answer(donation, pi),
            )

    try:
        donation, pi = donation_create(donation_id=donation_id, on_saved=record_answer,
                                       **fields)
    except BaseException:
        _release_key(client, key)
        raise
    return Answer(HTTPStatus.CREATED, answer(donation, pi))


def _claim_key(client: str, key: str, fingerprint: str,
               donation_id: uuid.UUID) -> uuid.UUID | Answer | None:
    """Claim the Idempotency-Key for this request in a short transaction (a row with no answer
    yet, naming the donation it will create) and give that donation's id; or, when another
    request holds it, wait for that one's answer (reading, no lock) and replay it.

    A claim older than PAYMENT_CLAIM_SECONDS belongs to a request that died: it is taken
    over, with the same donation id, so Stripe's idempotency key gives the same
    PaymentIntent if the dead request had made one. A live one still unanswered by then
    raises KeyInUse (409): nothing is created twice.
    """
    deadline = time.monotonic() + settings.PAYMENT_CLAIM_SECONDS
    while True:
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    client=client, key=key, fingerprint=fingerprint, response_status=0,
                    response_body={"donation_id": str(donation_id)},
                )
            return donation_id
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(client=client, key=key).first()
        if record is None:  # released by a request that failed: try again
            continue
        if record.fingerprint != fingerprint or record.response_status:
            return idempotent_answer(client=client, key=key, fingerprint=fingerprint)
        stale = timezone.now() - timedelta(seconds=settings.PAYMENT_CLAIM_SECONDS)
        if record.created_at < stale and IdempotencyKey.objects.filter(
            pk=record.pk, created_at=record.created_at, response_status=0
        ).update(created_at=timezone.now()):
            return uuid.UUID(record.response_body["donation_id"])
        if time.monotonic() > deadline:
            raise KeyInUse(field=KEY_FIELD)
        time.sleep(0.1)


def _release_key(client: str, key: str) -> None:
    """The request failed before creating anything: its key may be used again."""
    if key:
        IdempotencyKey.objects.filter(client=client, key=key, response_status=0).delete()
