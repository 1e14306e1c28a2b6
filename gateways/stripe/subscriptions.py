"""Monthly gifts at Stripe: the Product, the donor's Customer, the Subscription, its invoices.

One Product "Monthly gift" per currency, made once (its id is ours: `lifeline_monthly_gift_gbp`,
looked up, made if missing, remembered per process); the amount is an inline Price on the
subscription item (`price_data`), so no Price is stored or looked up. The Subscription is made
`default_incomplete`: its first invoice waits with a PaymentIntent that the donor's card pays
through our usual confirm (docs/card-flow.md), and `save_default_payment_method=on_subscription`
keeps that card for the months after (docs/monthly-gifts.md).

Where the invoice's PaymentIntent is depends on the API version: `invoice.payment_intent` (an
id or the object) until 2025-03-31.basil, then `invoice.payments.data[].payment.payment_intent`
and `invoice.confirmation_secret` (which must be expanded). Both shapes are read here and
nothing outside this module sees either: callers get `FirstPayment` and `InvoiceState`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import stripe
from django.conf import settings

from gateways.stripe.client import call, client
from gateways.stripe.errors import PaymentProviderError
from gateways.stripe.objects import object_id, when
from gateways.stripe.payment_intents import PaymentIntentState, payment_intent_retrieve

PRODUCT_NAME = "Monthly gift"
_products_known: set[str] = set()
_products_lock = threading.Lock()


@dataclass(frozen=True)
class FirstPayment:
    """A new monthly gift at Stripe: its Customer and Subscription, and the first month's
    invoice with the PaymentIntent the donor's card pays."""

    customer: str
    subscription: str
    invoice: str
    payment_intent: str
    client_secret: str


@dataclass(frozen=True)
class InvoiceState:
    """An invoice of a subscription as Lifeline reads it, whatever the API version."""

    id: str
    status: str  # draft | open | paid | uncollectible | void
    subscription: str
    customer: str
    amount_paid: int
    currency: str
    created: datetime | None
    payment_intent: PaymentIntentState | None  # the paying PaymentIntent, read now


def monthly_product(currency: str) -> str:
    """The Product id for monthly gifts in `currency`, made at Stripe the first time."""
    product_id = f"lifeline_monthly_gift_{currency.lower()}"
    if product_id in _products_known:
        return product_id
    with _products_lock:
        try:
            call(client().v1.products.retrieve, product_id)
        except PaymentProviderError as exc:
            if not _missing(exc):
                raise
            try:
                call(client().v1.products.create,
                     params={"id": product_id, "name": f"{PRODUCT_NAME} ({currency.upper()})"},
                     options={"idempotency_key": f"lifeline-product-{product_id}"})
            except PaymentProviderError as again:
                # Made meanwhile by another process: Stripe says it exists (the stand-in 409).
                if not _exists(again):
                    raise
        _products_known.add(product_id)
    return product_id


# Settings changed, or the stand-in emptied (tests): ask Stripe about the Products again.
monthly_product.cache_clear = _products_known.clear


def _missing(exc: PaymentProviderError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, stripe.InvalidRequestError) and cause.http_status == 404


def _exists(exc: PaymentProviderError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, stripe.StripeError) and (
        cause.code == "resource_already_exists" or cause.http_status == 409)


def subscription_start(*, email: str, name: str, amount: int, currency: str, metadata: dict,
                       idempotency_key: str) -> FirstPayment:
    """Make the donor's Customer and a monthly Subscription of `amount` whose first invoice
    waits for a card (three calls the first time per process and currency, else two).
    `idempotency_key` is the gift's: a retry gets the same Customer and Subscription.

    :raises PaymentProviderError: Stripe unreachable or refused.
    """
    product = monthly_product(currency)
    customer = call(
        client().v1.customers.create,
        params={"email": email, **({"name": name} if name else {}), "metadata": metadata},
        options={"idempotency_key": f"{idempotency_key}-customer"},
    )

    def create(key: str):
        return call(
            client().v1.subscriptions.create,
            params={
                "customer": customer.id,
                "items": [{"price_data": {
                    "currency": currency.lower(), "product": product, "unit_amount": amount,
                    "recurring": {"interval": "month"},
                }}],
                "payment_behavior": "default_incomplete",
                "payment_settings": {
                    "save_default_payment_method": "on_subscription",
                    "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
                },
                "metadata": metadata,
                "expand": ["latest_invoice.confirmation_secret"],
            },
            options={"idempotency_key": key},
        ).to_dict()

    try:
        subscription = create(f"{idempotency_key}-subscription")
    except PaymentProviderError as exc:
        if not _missing(exc):
            raise
        # The Product this process remembered is gone at Stripe (deleted in the Dashboard;
        # the stand-in forgets everything when emptied): made again, and asked once more.
        _products_known.discard(product)
        product = monthly_product(currency)
        subscription = create(f"{idempotency_key}-subscription-again")
    invoice = subscription.get("latest_invoice")
    if not isinstance(invoice, dict):
        raise PaymentProviderError("Stripe gave no first invoice for the subscription.")
    payment_intent, client_secret = invoice_payment(invoice)
    if payment_intent and not client_secret:
        client_secret = payment_intent_retrieve(payment_intent).client_secret
    if not payment_intent or not client_secret:
        raise PaymentProviderError("Stripe gave no PaymentIntent for the first invoice.")
    return FirstPayment(customer=customer.id, subscription=subscription["id"],
                        invoice=invoice["id"], payment_intent=payment_intent,
                        client_secret=client_secret)


def invoice_payment(invoice: dict) -> tuple[str, str]:
    """The invoice's PaymentIntent id and client secret ("" where not given), in either
    shape: `payment_intent` (an id or the object; before 2025-03-31.basil), or
    `payments.data[].payment.payment_intent` and `confirmation_secret` (since)."""
    old = invoice.get("payment_intent")
    if old:
        secret = old.get("client_secret", "") if isinstance(old, dict) else ""
        return object_id(old), secret or _secret(invoice)
    listed = (invoice.get("payments") or {}).get("data") or []
    for entry in listed:  # the default payment first: Stripe lists it so
        payment = (entry or {}).get("payment") or {}
        if payment.get("type", "payment_intent") == "payment_intent" and payment.get(
                "payment_intent"):
            found = payment["payment_intent"]
            secret = found.get("client_secret", "") if isinstance(found, dict) else ""
            return object_id(found), secret or _secret(invoice)
    secret = _secret(invoice)
    # A PaymentIntent's client secret is its id, "_secret_", and a random part.
    return (secret.split("_secret_")[0] if "_secret_" in secret else ""), secret


def _secret(invoice: dict) -> str:
    confirmation = invoice.get("confirmation_secret") or {}
    if confirmation.get("type", "payment_intent") != "payment_intent":
        return ""
    return str(confirmation.get("client_secret") or "")


def invoice_state(invoice_id: str) -> InvoiceState:
    """The invoice as Stripe holds it now, with its paying PaymentIntent read in full (charge,
    fee, card). Two calls; three where the newer API lists the payment apart.

    :raises PaymentProviderError: Stripe unreachable.
    """
    invoice = call(client().v1.invoices.retrieve, invoice_id).to_dict()
    payment_intent, _ = invoice_payment(invoice)
    if not payment_intent:
        payment_intent = _listed_payment(invoice_id)
    return InvoiceState(
        id=invoice["id"],
        status=str(invoice.get("status") or ""),
        subscription=invoice_subscription(invoice),
        customer=object_id(invoice.get("customer")),
        amount_paid=int(invoice.get("amount_paid") or 0),
        currency=str(invoice.get("currency") or "").upper(),
        created=when(invoice.get("created")),
        payment_intent=payment_intent_retrieve(payment_intent) if payment_intent else None,
    )


def _listed_payment(invoice_id: str) -> str:
    """The invoice's PaymentIntent from Stripe's InvoicePayments (API versions since basil,
    where the invoice does not carry it unless expanded); "" when it has none."""
    listed = call(client().v1.invoice_payments.list,
                  params={"invoice": invoice_id, "limit": 10}).to_dict()
    for entry in listed.get("data") or []:
        payment = entry.get("payment") or {}
        if payment.get("type") == "payment_intent" and payment.get("payment_intent"):
            return object_id(payment["payment_intent"])
    return ""


def invoice_subscription(invoice: dict) -> str:
    """The subscription an invoice bills: `subscription` (older versions) or
    `parent.subscription_details.subscription` (since basil); "" for none."""
    found = invoice.get("subscription")
    if not found:
        details = ((invoice.get("parent") or {}).get("subscription_details") or {})
        found = details.get("subscription")
    return object_id(found)


def subscription_status(subscription_id: str) -> str:
    """The subscription's status at Stripe now (`incomplete`, `active`, `past_due`, `unpaid`,
    `canceled`, `incomplete_expired`, `trialing`, `paused`).

    :raises PaymentProviderError: Stripe unreachable.
    """
    return str(call(client().v1.subscriptions.retrieve, subscription_id).status or "")


ENDED = frozenset({"canceled", "incomplete_expired"})


def subscription_cancel(subscription_id: str) -> bool:
    """End the subscription at Stripe at once (no more invoices, nothing more collected).
    True when this call ended it; False when it had already ended (Stripe answers a second
    cancel with "No such subscription": the subscription is then read to tell that from an
    unknown id). One call; two when it had ended.

    :raises PaymentProviderError: Stripe unreachable, or refused a subscription still running.
    """
    try:
        call(client().v1.subscriptions.cancel, subscription_id)
        return True
    except PaymentProviderError as exc:
        if not isinstance(exc.__cause__, stripe.InvalidRequestError):
            raise
        if subscription_status(subscription_id) in ENDED:
            return False
        raise


def subscription_change_amount(*, subscription_id: str, amount: int, currency: str) -> None:
    """Charge `amount` (minor units) a month from the next invoice on: the subscription
    item's inline Price replaced (`price_data`), with no proration (this month's payment
    stands as it was). Two calls: the subscription read for its item, the item updated.

    :raises PaymentProviderError: Stripe unreachable or refused (the subscription ended).
    """
    subscription = call(client().v1.subscriptions.retrieve, subscription_id).to_dict()
    if subscription.get("status") in ENDED:
        raise PaymentProviderError("The subscription has ended at Stripe.")
    items = (subscription.get("items") or {}).get("data") or []
    if len(items) != 1:
        raise PaymentProviderError("The subscription has not exactly one item.")
    call(client().v1.subscription_items.update, items[0]["id"], params={
        "price_data": {
            "currency": currency.lower(), "product": monthly_product(currency),
            "unit_amount": amount, "recurring": {"interval": "month"},
        },
        "proration_behavior": "none",
    })


# What reconciliation looks for (docs/reconciliation.md, "Monthly gifts"): a subscription
# ended or changed, an invoice paid. Real Stripe sends invoice.payment_succeeded beside
# invoice.paid for every paid invoice, and the stand-in only the former: one list covers both.
RECONCILED_EVENTS = ("customer.subscription.deleted", "customer.subscription.updated",
                     "invoice.payment_succeeded")
# Stripe keeps events for 30 days: the list reaches no further back.
EVENTS_KEPT_DAYS = 30


@dataclass(frozen=True)
class MonthlyNews:
    """An event of a monthly gift's subscription or invoice, as reconciliation reads it: what
    happened to which object (its snapshot, only to decide whether to read it now)."""

    event_id: str
    type: str
    object_id: str
    subscription: str
    status: str  # the object's status in the event's snapshot
    created: datetime | None  # when the event was made


def subscription_news_since(since: datetime, *, page_size: int = 100,
                            pace=None) -> list[MonthlyNews]:
    """The events of subscriptions ended or changed, and of invoices paid, created at Stripe
    from `since` on (at most EVENTS_KEPT_DAYS back): one call per type per `page_size`.
    `pace()`, if given, runs before each call.

    :raises PaymentProviderError: Stripe unreachable.
    """
    found: list[MonthlyNews] = []
    for event_type in RECONCILED_EVENTS:
        params: dict = {"type": event_type, "limit": page_size,
                        "created": {"gte": int(since.timestamp())}}
        while True:
            if pace:
                pace()
            page = call(client().v1.events.list, params=params)
            events = [e.to_dict() for e in page.data]
            for event in events:
                obj = (event.get("data") or {}).get("object") or {}
                subscription = (object_id(obj) if obj.get("object") == "subscription"
                                else invoice_subscription(obj))
                found.append(MonthlyNews(
                    event_id=str(event.get("id") or ""), type=event_type,
                    object_id=object_id(obj), subscription=subscription,
                    status=str(obj.get("status") or ""), created=when(event.get("created"))))
            if not page.has_more or not events:
                break
            params = {**params, "starting_after": events[-1]["id"]}
    return found
