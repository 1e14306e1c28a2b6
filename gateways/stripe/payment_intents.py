"""PaymentIntents: create, read, confirm on the server with a ConfirmationToken, cancel; their state as Lifeline reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import stripe
from django.conf import settings

import gateways.stripe.standin as standin
from gateways.stripe.client import call, client
from gateways.stripe.errors import (
    CardDeclined,
    IntentNotConfirmable,
    PaymentProviderError,
    UnknownConfirmationToken,
)
from gateways.stripe.objects import object_id, when
from gateways.stripe.refunds import RefundState, refund_state


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
    # The charged card as Stripe names it ("visa", "4242"); "" where Stripe gives none.
    card_brand: str = ""
    card_last4: str = ""
    # When the card was charged, by Stripe's clock (the latest charge's `created`); None
    # while there is no charge. The gift's date, its receipt's year and HMRC's date use it.
    charged_at: datetime | None = None
    # The charge's refunds as Stripe holds them (expanded with it), for the refund history:
    # a refund made at Stripe before we heard of the payment is recorded with the success.
    refunds: tuple[RefundState, ...] = ()
    # What Stripe asks of the donor while `requires_action` (`next_action.type`: "use_stripe_sdk"
    # for Stripe.js's 3-D Secure, "redirect_to_url"…); "" when nothing is asked.
    next_action_type: str = ""


def payment_intent_create(
    *, amount: int, currency: str, metadata: dict, idempotency_key: str
) -> PaymentIntentState:
    pi = call(
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


# What a confirm's answer carries, so that a success is applied from it with no re-read: the
# charge with its balance transaction (fee, net) and its refunds, and the card
# (standin.CARD_EXPAND). The same as payment_intent_retrieve reads.
PAID_EXPAND = ["latest_charge.balance_transaction", "latest_charge.refunds",
               standin.CARD_EXPAND]


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntentState:
    pi = call(
        client().v1.payment_intents.retrieve,
        payment_intent_id,
        params={"expand": PAID_EXPAND},
    )
    return _state(pi)


def payment_intent_cancel(payment_intent_id: str) -> PaymentIntentState:
    pi = call(client().v1.payment_intents.cancel, payment_intent_id)
    return _state(pi)


def payment_intent_confirm(*, payment_intent_id: str,
                           confirmation_token: str) -> PaymentIntentState:
    """Confirm on the server with the card Stripe.js put into a ConfirmationToken: one call,
    whose answer says everything (Stripe's "finalize payments on the server").

    :raises CardDeclined: the card was refused; the PaymentIntent takes another token.
    :raises IntentNotConfirmable: the PaymentIntent is in no state to be confirmed (already
        succeeded, processing, canceled, or waiting for 3-D Secure), or the token is spent.
    :raises PaymentProviderError: Stripe unreachable.
    """
    try:
        pi = client().v1.payment_intents.confirm(
            payment_intent_id,
            params={"confirmation_token": confirmation_token, "expand": PAID_EXPAND},
            # A retried request with the same token is answered as the first, never charged
            # again.
            options={"idempotency_key": f"lifeline-{payment_intent_id}-{confirmation_token}"},
        )
    except stripe.CardError as exc:
        charge = getattr(exc.error, "charge", None) if exc.error else None
        raise CardDeclined(exc.user_message or "Your card was declined.", exc.code or "",
                           charge=charge if isinstance(charge, str) else "") from exc
    except stripe.InvalidRequestError as exc:
        if _no_such_token(exc):
            raise UnknownConfirmationToken() from exc
        if exc.code in NOT_CONFIRMABLE:
            raise IntentNotConfirmable(exc.code) from exc
        raise PaymentProviderError(str(exc.user_message or "InvalidRequestError")) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(str(exc.user_message or exc.__class__.__name__)) from exc
    return _state(pi)


def _no_such_token(exc: stripe.InvalidRequestError) -> bool:
    """Stripe's answer to a ConfirmationToken it does not know: `resource_missing` naming the
    `confirmation_token` parameter (the stand-in: a bare 404)."""
    param = getattr(exc.error, "param", None) if exc.error else None
    if exc.code == "resource_missing" and param == "confirmation_token":
        return True
    return exc.code is None and exc.http_status == 404


# Stripe's error codes for a confirm the PaymentIntent or the token cannot take.
NOT_CONFIRMABLE = {"payment_intent_unexpected_state", "confirmation_token_already_used",
                   "resource_missing"}


def confirmation_token_fingerprint(confirmation_token: str) -> str:
    """The card's fingerprint from a ConfirmationToken (`payment_method_preview.card`): the
    same for the same number whoever types it; "" when Stripe gives none."""
    token = call(client().v1.confirmation_tokens.retrieve, confirmation_token).to_dict()
    preview = token.get("payment_method_preview") or {}
    return str((preview.get("card") or {}).get("fingerprint") or "")


def _state(obj) -> PaymentIntentState:
    pi = obj if isinstance(obj, dict) else obj.to_dict()
    charge = pi.get("latest_charge")
    if isinstance(charge, str):
        # Not expanded (real Stripe's default shape): fetch it with its balance transaction.
        charge = call(
            client().v1.charges.retrieve, charge, params={"expand": ["balance_transaction"]}
        ).to_dict()
    fee = net = None
    amount_refunded = 0
    if charge is not None:
        amount_refunded = charge.get("amount_refunded") or 0
        bt = charge.get("balance_transaction")
        if bt is not None and isinstance(bt, str):
            bt = call(client().v1.balance_transactions.retrieve, bt).to_dict()
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
        charge_id=object_id(charge),
        amount_refunded=amount_refunded,
        fee=fee,
        net=net,
        error_message=(error.get("message") or "") if error else "",
        card_brand=str(card.get("brand") or "")[:40],
        card_last4=str(card.get("last4") or "")[-4:],
        charged_at=when(charge.get("created")) if charge is not None else None,
        refunds=_refunds(charge),
        next_action_type=str((pi.get("next_action") or {}).get("type") or ""),
    )


def _refunds(charge: dict | None) -> tuple[RefundState, ...]:
    listed = ((charge or {}).get("refunds") or {}).get("data") or []
    return tuple(refund_state(r) for r in listed if isinstance(r, dict))


def _card(charge: dict | None, payment_method) -> dict:
    """The charged card's details: the charge's `payment_method_details.card` (what Stripe
    charged), else the expanded PaymentMethod's `card`; {} when neither is at hand."""
    details = (charge or {}).get("payment_method_details") or {}
    if details.get("card"):
        return details["card"]
    if isinstance(payment_method, dict):
        return payment_method.get("card") or {}
    return {}
