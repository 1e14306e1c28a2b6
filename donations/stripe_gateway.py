"""Everything that talks to Stripe: the one module that imports the SDK.

The same code serves real Stripe test mode and the local stand-in (localstripe); only
settings.STRIPE_API_BASE differs. Stand-in quirks handled here:
- expandable fields arrive expanded (`latest_charge` is a whole Charge), so `_id()` and
  `_obj()` accept both shapes;
- `confirm(payment_method=…)` answers 500, so the method is set with `modify` first;
- a declined PaymentIntent refuses a second confirm, so a retry gets a new PaymentIntent.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import stripe
from django.conf import settings

from config import parsers

logger = logging.getLogger(__name__)


class PaymentProviderError(Exception):
    """Stripe could not be reached or answered unexpectedly: try again later."""


class CardDeclined(Exception):
    """The card was refused; `message` is Stripe's donor-facing text."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PaymentIntentState:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    charge_id: str
    amount_refunded: int
    fee: int | None
    net: int | None
    error_message: str
    metadata: dict
    # The charged card as Stripe names it ("visa", "4242"); "" where Stripe gives none.
    card_brand: str = ""
    card_last4: str = ""
    # When the card was charged, by Stripe's clock (the latest charge's `created`); None
    # while there is no charge. The gift's date, its receipt's year and HMRC's date use it.
    charged_at: datetime | None = None


@functools.cache
def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
    )


def _id(value) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get("id", "") if isinstance(value, dict) else getattr(value, "id", "")


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError:
        raise
    except stripe.StripeError as exc:
        logger.warning("stripe call failed: %s", exc.__class__.__name__)
        raise PaymentProviderError(str(exc.user_message or exc.__class__.__name__)) from exc


def payment_intent_create(
    *, amount: int, currency: str, metadata: dict, idempotency_key: str
) -> PaymentIntentState:
    pi = _call(
        client().v1.payment_intents.create,
        params={
            "amount": amount,
            "currency": currency.lower(),
            "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )
    return _state(pi)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntentState:
    pi = _call(
        client().v1.payment_intents.retrieve,
        payment_intent_id,
        # The payment method for the card's brand and last four where the charge does not
        # carry `payment_method_details` (the stand-in's charges do not).
        params={"expand": ["latest_charge.balance_transaction", "payment_method"]},
    )
    return _state(pi)


def payment_intent_cancel(payment_intent_id: str) -> PaymentIntentState:
    pi = _call(client().v1.payment_intents.cancel, payment_intent_id)
    return _state(pi)


def payment_intent_pay(
    *, payment_intent_id: str, payment_method: str, customer: str
) -> PaymentIntentState:
    """Attach the donor's card and confirm on the server.

    :raises CardDeclined: the card was refused (the PaymentIntent cannot be confirmed again
        on the stand-in: the next try needs a new one).
    """
    # Keyed by PaymentIntent and card: a repeat of the same charge (a retried request, a
    # second click after a lapsed claim) is answered as the first, never charged again.
    key = f"lifeline-{payment_intent_id}-{payment_method}"
    _call(
        client().v1.payment_intents.update,
        payment_intent_id,
        params={"payment_method": payment_method, "customer": customer},
        options={"idempotency_key": f"{key}-update"},
    )
    try:
        _call(client().v1.payment_intents.confirm, payment_intent_id,
              options={"idempotency_key": f"{key}-confirm"})
    except stripe.CardError as exc:
        raise CardDeclined(exc.user_message or "Your card was declined.", exc.code or "") from exc
    return payment_intent_retrieve(payment_intent_id)


def customer_create(*, email: str, name: str, metadata: dict, idempotency_key: str) -> str:
    params = {"email": email, "metadata": metadata}
    if name:
        params["name"] = name
    return _call(client().v1.customers.create, params=params,
                 options={"idempotency_key": idempotency_key}).id


def setup_intent_create(*, customer: str, metadata: dict) -> tuple[str, str]:
    """A SetupIntent that Stripe.js fills with the donor's card: (id, client_secret)."""
    seti = _call(
        client().v1.setup_intents.create,
        params={
            "customer": customer,
            "payment_method_types": ["card"],
            "usage": "on_session",
            "metadata": metadata,
        },
    )
    return seti.id, seti.client_secret


@dataclass(frozen=True)
class SetupCard:
    status: str
    payment_method: str
    fingerprint: str  # the card's, the same for the same number whoever types it


def setup_intent_card(setup_intent_id: str) -> SetupCard:
    """A SetupIntent's status, and the card the donor put into it."""
    seti = _call(client().v1.setup_intents.retrieve, setup_intent_id,
                 params={"expand": ["payment_method"]}).to_dict()
    method = seti.get("payment_method")
    card = method.get("card") or {} if isinstance(method, dict) else {}
    return SetupCard(status=seti["status"], payment_method=_id(method),
                     fingerprint=card.get("fingerprint") or "")


def charge_payment_intent(charge_id: str) -> str:
    """The PaymentIntent id of a charge ("" when it has none or Stripe does not know it)."""
    try:
        charge = client().v1.charges.retrieve(charge_id).to_dict()
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return ""
        raise PaymentProviderError(exc.__class__.__name__) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(exc.__class__.__name__) from exc
    return _id(charge.get("payment_intent"))


@dataclass(frozen=True)
class RefundState:
    id: str
    amount: int
    status: str  # pending | requires_action | succeeded | failed | canceled
    charge_id: str
    payment_intent: str = ""
    created: datetime | None = None
    metadata: dict | None = None

    def as_dict(self) -> dict:
        """The shape of a refund in a webhook's charge, for the refund history."""
        return {"id": self.id, "amount": self.amount, "status": self.status,
                "metadata": dict(self.metadata or {})}


def _refund_state(refund: dict) -> RefundState:
    return RefundState(
        id=refund["id"], amount=refund["amount"], status=refund.get("status") or "",
        charge_id=_id(refund.get("charge")), payment_intent=_id(refund.get("payment_intent")),
        created=_when(refund.get("created")), metadata=dict(refund.get("metadata") or {}),
    )


def refund_create(*, payment_intent: str, amount: int, idempotency_key: str,
                  metadata: dict) -> RefundState:
    """Refund part or all of a PaymentIntent's charge. (The stand-in rejects `reason`, so
    the reason stays with us, on the Refund row; `metadata` ties Stripe's refund to it.)"""
    refund = _call(
        client().v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    ).to_dict()
    return _refund_state(refund)


def refunds_since(since: datetime, *, page_size: int = 100, pace=None) -> list[RefundState]:
    """Every refund made at Stripe from `since` on, newest first: one call per `page_size`.

    Stripe lists refunds newest first, so paging stops at the first older one. (No
    `created` filter is sent: real Stripe takes one, but the stand-in answers 400 to it, and
    stopping at the cursor costs the same calls.) `pace()`, if given, runs before each call.
    """
    found: list[RefundState] = []
    params: dict = {"limit": page_size}
    while True:
        if pace:
            pace()
        page = _call(client().v1.refunds.list, params=params)
        refunds = [_refund_state(r.to_dict()) for r in page.data]
        for refund in refunds:
            if refund.created is not None and refund.created < since:
                return found
            found.append(refund)
        if not page.has_more or not refunds:
            return found
        params = {"limit": page_size, "starting_after": refunds[-1].id}


class Unsupported(Exception):
    """This Stripe has no such endpoint (the stand-in has no disputes)."""


def disputes_since(since: datetime, *, page_size: int = 100, pace=None) -> list[dict]:
    """Every dispute opened at Stripe from `since` on, whatever its status now, as dicts.

    :raises Unsupported: the endpoint answers 404 (the stand-in; real Stripe always has it).
    """
    found: list[dict] = []
    params: dict = {"limit": page_size, "created": {"gte": int(since.timestamp())}}
    while True:
        if pace:
            pace()
        try:
            page = client().v1.disputes.list(params=params)
        except stripe.StripeError as exc:
            if exc.http_status == 404:  # the stand-in's plain-text 404 (an APIError)
                raise Unsupported("disputes") from exc
            raise PaymentProviderError(exc.__class__.__name__) from exc
        disputes = [d.to_dict() for d in page.data]
        found.extend(disputes)
        if not page.has_more or not disputes:
            return found
        params = {**params, "starting_after": disputes[-1]["id"]}


@dataclass(frozen=True)
class ChargeState:
    id: str
    payment_intent: str
    amount: int
    amount_refunded: int  # cumulative: every refund Stripe holds for the charge
    refunds: tuple[RefundState, ...]  # those the charge carries (an expandable list)


def charge_retrieve(charge_id: str) -> ChargeState:
    """A charge's refunded total and refunds, as Stripe holds them now."""
    charge = _call(client().v1.charges.retrieve, charge_id,
                   params={"expand": ["refunds"]}).to_dict()
    refunds = (charge.get("refunds") or {}).get("data") or []
    return ChargeState(
        id=charge["id"], payment_intent=_id(charge.get("payment_intent")),
        amount=charge.get("amount") or 0, amount_refunded=charge.get("amount_refunded") or 0,
        refunds=tuple(_refund_state(r) for r in refunds if isinstance(r, dict)),
    )


def balance_transactions_list(params: dict) -> list[dict]:
    """Every balance transaction the listing's `params` select, all pages, as dicts."""
    def fetch():
        listing = client().v1.balance_transactions.list(params=params)
        return [obj.to_dict() for obj in listing.auto_paging_iter()]

    return _call(fetch)


def ping() -> None:
    """Raise PaymentProviderError unless Stripe answers."""
    _call(client().v1.payment_intents.list, params={"limit": 1})


def webhook_event(payload: bytes, signature: str) -> dict:
    """Verify a webhook's signature and age; return the event as a plain dict.

    The signature is checked first, on the raw body; only then is the body parsed, bounded in
    nesting depth (config.parsers): a signed body 5,000 lists deep was a RecursionError, a 500.

    :raises ValueError: bad or stale signature; a body that is not a JSON object, or is too deep.
    """
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except stripe.SignatureVerificationError as exc:
        raise ValueError("bad signature") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("not text") from exc
    event = parsers.loads(payload)  # ValueError: not JSON, or too deep
    if not isinstance(event, dict):
        raise ValueError("not an event")  # signed, but e.g. a JSON list: refuse, never 500
    return event


def object_id(value) -> str:
    return _id(value)


def _when(epoch) -> datetime | None:
    """A Stripe timestamp (seconds since the epoch, UTC) as an aware datetime."""
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _state(obj) -> PaymentIntentState:
    pi = obj if isinstance(obj, dict) else obj.to_dict()
    charge = pi.get("latest_charge")
    if isinstance(charge, str):
        # Not expanded (real Stripe's default shape): fetch it with its balance transaction.
        charge = _call(
            client().v1.charges.retrieve, charge, params={"expand": ["balance_transaction"]}
        ).to_dict()
    fee = net = None
    amount_refunded = 0
    if charge is not None:
        amount_refunded = charge.get("amount_refunded") or 0
        bt = charge.get("balance_transaction")
        if bt is not None and isinstance(bt, str):
            bt = _call(client().v1.balance_transactions.retrieve, bt).to_dict()
        if bt is not None:
            fee, net = bt.get("fee"), bt.get("net")
    card = _card(charge, pi.get("payment_method"))
    error = pi.get("last_payment_error") or {}
    return PaymentIntentState(
        id=pi["id"],
        status=pi["status"],
        amount=pi["amount"],
        currency=pi["currency"].upper(),
        client_secret=pi.get("client_secret") or "",
        charge_id=_id(charge),
        amount_refunded=amount_refunded,
        fee=fee,
        net=net,
        error_message=(error.get("message") or "") if error else "",
        metadata=dict(pi.get("metadata") or {}),
        card_brand=str(card.get("brand") or "")[:40],
        card_last4=str(card.get("last4") or "")[-4:],
        charged_at=_when(charge.get("created")) if charge is not None else None,
    )


def _card(charge: dict | None, payment_method) -> dict:
    """The charged card's details: the charge's `payment_method_details.card` (what Stripe
    charged), else the expanded PaymentMethod's `card`; {} when neither is at hand."""
    details = (charge or {}).get("payment_method_details") or {}
    if details.get("card"):
        return details["card"]
    if isinstance(payment_method, dict):
        return payment_method.get("card") or {}
    return {}
