"""Charges: a charge's PaymentIntent, and its refunds as Stripe holds them now."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from gateways.stripe.client import call, client
from gateways.stripe.errors import PaymentProviderError
from gateways.stripe.objects import object_id
from gateways.stripe.refunds import RefundState, refund_state


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
    return object_id(charge.get("payment_intent"))


@dataclass(frozen=True)
class ChargeState:
    id: str
    payment_intent: str
    amount: int
    amount_refunded: int  # cumulative: every refund Stripe holds for the charge
    refunds: tuple[RefundState, ...]  # those the charge carries (an expandable list)


def charge_retrieve(charge_id: str) -> ChargeState:
    """A charge's refunded total and refunds, as Stripe holds them now."""
    charge = call(client().v1.charges.retrieve, charge_id,
                  params={"expand": ["refunds"]}).to_dict()
    refunds = (charge.get("refunds") or {}).get("data") or []
    return ChargeState(
        id=charge["id"], payment_intent=object_id(charge.get("payment_intent")),
        amount=charge.get("amount") or 0, amount_refunded=charge.get("amount_refunded") or 0,
        refunds=tuple(refund_state(r) for r in refunds if isinstance(r, dict)),
    )
