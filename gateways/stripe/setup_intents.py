"""A monthly gift's new card: saved on the donor's Customer with a SetupIntent confirmed on our
server with the ConfirmationToken the card page's Payment Element made (Stripe's "finalize
setups on the server"), made the card that pays the gift's invoices, and the open invoices
paid with it (docs/monthly-gifts.md, "The card page").

Real Stripe attaches a succeeded SetupIntent's PaymentMethod to its Customer; the card that
pays a subscription's invoices is the subscription's `default_payment_method` (which
`save_default_payment_method=on_subscription` set to the first month's card), else the
Customer's `invoice_settings.default_payment_method`: both are set. The stand-in pays only
with the Customer's and refuses `default_payment_method` on a subscription, so there only the
Customer's is set (standin.active()).
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.conf import settings

import gateways.stripe.standin as standin
from gateways.stripe.client import call, client
from gateways.stripe.errors import CardDeclined, PaymentProviderError, UnknownConfirmationToken
from gateways.stripe.objects import object_id


@dataclass(frozen=True)
class CardSetup:
    """A SetupIntent as Lifeline reads it."""

    id: str
    status: str  # succeeded | requires_action | requires_payment_method | processing | canceled
    customer: str
    payment_method: str
    client_secret: str
    error_message: str = ""


def card_setup(*, customer: str, confirmation_token: str, metadata: dict,
               idempotency_key: str) -> CardSetup:
    """Save the token's card on `customer` for payments without the donor (one call).
    `requires_action`: the page runs the bank's check (stripe.handleNextAction) and we read
    the SetupIntent again (card_setup_retrieve).

    :raises CardDeclined: the card was refused.
    :raises UnknownConfirmationToken: Stripe knows no such token (bad input).
    :raises PaymentProviderError: Stripe unreachable or refused.
    """
    try:
        setup = client().v1.setup_intents.create(
            params={
                "customer": customer,
                "confirm": True,
                "confirmation_token": confirmation_token,
                "usage": "off_session",
                "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.CardError as exc:
        raise CardDeclined(exc.user_message or "Your card was declined.", exc.code or "") from exc
    except stripe.InvalidRequestError as exc:
        param = getattr(exc.error, "param", None) if exc.error else None
        if (exc.code == "resource_missing" and param == "confirmation_token") or (
                exc.code is None and exc.http_status == 404):
            raise UnknownConfirmationToken() from exc
        raise PaymentProviderError(str(exc.user_message or "InvalidRequestError")) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(str(exc.user_message or exc.__class__.__name__)) from exc
    return _setup(setup)


def card_setup_retrieve(setup_intent_id: str) -> CardSetup:
    """The SetupIntent as Stripe holds it now (after the bank's check in the browser).

    :raises PaymentProviderError: Stripe unreachable, or no such SetupIntent.
    """
    return _setup(call(client().v1.setup_intents.retrieve, setup_intent_id))


def _setup(obj) -> CardSetup:
    setup = obj if isinstance(obj, dict) else obj.to_dict()
    error = setup.get("last_setup_error") or {}
    return CardSetup(
        id=setup["id"], status=str(setup.get("status") or ""),
        customer=object_id(setup.get("customer")),
        payment_method=object_id(setup.get("payment_method")),
        client_secret=str(setup.get("client_secret") or ""),
        error_message=str(error.get("message") or "") if isinstance(error, dict) else "",
    )


def subscription_card_set(*, customer: str, subscription: str, payment_method: str) -> None:
    """Make `payment_method` the card that pays the subscription's invoices from now on: the
    Customer's invoice default, and (real Stripe) the subscription's own default, which
    otherwise still names the old card and wins over the Customer's.

    :raises PaymentProviderError: Stripe unreachable or refused.
    """
    call(client().v1.customers.update, customer, params={
        "invoice_settings": {"default_payment_method": payment_method}})
    if not standin.active():
        call(client().v1.subscriptions.update, subscription, params={
            "default_payment_method": payment_method})


def open_invoices(subscription: str) -> list[str]:
    """The subscription's invoices still waiting to be paid, oldest first (the months that
    failed; usually one).

    :raises PaymentProviderError: Stripe unreachable.
    """
    params = {"subscription": subscription, "limit": 24}
    if not standin.active():
        params["status"] = "open"  # the stand-in refuses the filter: applied below
    listed = call(client().v1.invoices.list, params=params).to_dict()
    found = [i for i in listed.get("data") or [] if i.get("status") == "open"]
    found.sort(key=lambda i: i.get("created") or 0)
    return [i["id"] for i in found]


def invoice_pay(*, invoice: str, payment_method: str, idempotency_key: str) -> str:
    """Collect an open invoice now with the card just saved; its status after (`paid`, or
    `open` when the stand-in declined the card without saying so). An invoice paid meanwhile
    (by Stripe's own retry) answers `paid`: the invoice is paid once, whoever asks.

    :raises CardDeclined: the bank refused the card.
    :raises PaymentProviderError: Stripe unreachable or refused.
    """
    params = {} if standin.active() else {"payment_method": payment_method}
    try:
        paid = client().v1.invoices.pay(invoice, params=params,
                                        options={"idempotency_key": idempotency_key})
    except stripe.CardError as exc:
        raise CardDeclined(exc.user_message or "Your card was declined.", exc.code or "") from exc
    except stripe.InvalidRequestError as exc:
        # Refused for the invoice's state: paid meanwhile (Stripe's own retry won the race)
        # is what the caller wanted; whatever the error's code, the invoice says so.
        if str(call(client().v1.invoices.retrieve, invoice).status or "") == "paid":
            return "paid"
        raise PaymentProviderError(str(exc.user_message or "InvalidRequestError")) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(str(exc.user_message or exc.__class__.__name__)) from exc
    return str(paid.status or "")
