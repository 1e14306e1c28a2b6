"""A Stripe webhook delivery: its signature, and the shape of the event it carries.

Nothing here decides what an event does (donations' webhook handler does); this says whether
Stripe sent it and whether it is shaped as Stripe shapes the events we read.
"""

from __future__ import annotations

import logging
import re

import stripe
from django.conf import settings

from core import parsers
import gateways.stripe.standin as standin
from gateways.stripe.client import STRIPE_API_VERSION

logger = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = frozenset({
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
})
# A card declined in a SetupIntent (none of ours since issue 14; one made past us still
# names a gift): no charge, only a decline to count.
SETUP_INTENT_EVENTS = frozenset({"setup_intent.setup_failed"})
# The events that report a declined card (the card-testing defence counts them).
DECLINE_EVENTS = frozenset({"payment_intent.payment_failed", "setup_intent.setup_failed"})
REFUND_EVENTS = frozenset({"charge.refunded", "charge.refund.updated"})
DISPUTE_EVENTS = frozenset({
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
})
# A monthly gift's invoices (real Stripe sends `invoice.paid` and `invoice.payment_succeeded`
# for the same payment; the stand-in only the latter) and its subscription's changes.
INVOICE_EVENTS = frozenset({
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
})
INVOICE_PAID_EVENTS = frozenset({"invoice.paid", "invoice.payment_succeeded"})
SUBSCRIPTION_EVENTS = frozenset({
    "customer.subscription.updated",
    "customer.subscription.deleted",
})
# What each event type whose shape we check carries as data.object (Stripe's `object` field).
OBJECT_KIND = {
    **{event_type: "invoice" for event_type in INVOICE_EVENTS},
    **{event_type: "subscription" for event_type in SUBSCRIPTION_EVENTS},
    **{event_type: "payment_intent" for event_type in PAYMENT_INTENT_EVENTS},
    **{event_type: "setup_intent" for event_type in SETUP_INTENT_EVENTS},
    "charge.refunded": "charge",  # the charge, with its refunds
    "charge.refund.updated": "refund",
    **{event_type: "dispute" for event_type in DISPUTE_EVENTS},
}
# Stripe's ids are letters, digits and underscores ("evt_1Nx…", "pi_3Mt…"); the bound is our
# columns' (StripeEvent.event_id, Dispute.stripe_id: 255).
STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
# An API version as Stripe names them ("2026-10-28.endive", "2017-08-15"), loosely: a name
# we do not know is still a version to report; the bound is StripeEvent.api_version's.
API_VERSION = re.compile(r"[0-9A-Za-z._-]{1,40}")
# Amounts fit a BigIntegerField; Stripe's own maximum is far below.
MAX_AMOUNT = 2**53


class MalformedEvent(ValueError):
    """Signed, but not shaped like a Stripe event."""


def webhook_event(payload: bytes, signature: str) -> dict:
    """Verify a webhook's signature and age; return the event as a plain dict.

    The signature is checked first, on the raw body; only then is the body parsed, bounded in
    nesting depth (core.parsers): a signed body 5,000 lists deep was a RecursionError, a 500.

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


def event_type(event: dict) -> str:
    """:raises MalformedEvent: the event has no type."""
    value = event.get("type")
    if not isinstance(value, str) or not value:
        raise MalformedEvent("an event without a type")
    return value


def event_contents(event: dict) -> tuple[str, dict, str]:
    """The id, data.object and API version ("" when Stripe gives none) of an event of a type
    in OBJECT_KIND, every field of the object that Lifeline reads checked for the type and
    bounds Stripe gives it. An event of another API version than ours is logged (and kept
    by the caller, for the payments health page).

    :raises MalformedEvent: naming the first field that is not shaped as Stripe shapes it.
    """
    kind_of = event_type(event)
    event_id = _stripe_id(event.get("id"), what="the event's id")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent(f"{kind_of} without data.object")
    _check_object(kind_of, obj)
    api_version = _api_version(event.get("api_version"))
    if api_version_differs(api_version):
        logger.warning(
            "stripe event of another API version",
            extra={"stripe_event": event_id, "api_version": api_version,
                   "expected_api_version": STRIPE_API_VERSION},
        )
    return event_id, obj, api_version


def api_version_differs(api_version: str) -> bool:
    """Whether events stamped `api_version` come from an endpoint of another version than
    the one our calls pin ("" and the stand-in's own stamp say nothing either way)."""
    return bool(api_version) and api_version != STRIPE_API_VERSION and (
        standin.speaks_for_endpoint(api_version))


def api_version_warning(api_version: str) -> str:
    return (f"Stripe sends events of API version {api_version}; Lifeline expects "
            f"{STRIPE_API_VERSION}: update the endpoint's version")


def _api_version(value) -> str:
    if value is None:  # Stripe's own example events carry `null`
        return ""
    if isinstance(value, str) and API_VERSION.fullmatch(value):
        return value
    raise MalformedEvent("the event's api_version is not a Stripe API version")


def _check_object(event_type: str, obj: dict) -> None:
    kind = OBJECT_KIND[event_type]
    if obj.get("object") != kind:
        raise MalformedEvent(f"{event_type} whose data.object is not a {kind}")
    _stripe_id(obj.get("id"), what=f"the {kind}'s id")
    if kind == "charge":
        _expandable_id(obj.get("payment_intent"), what="the charge's payment_intent")
        _amount(obj.get("amount_refunded"), what="the charge's amount_refunded")
        refunds = obj.get("refunds")
        if refunds is not None:
            listed = refunds.get("data") if isinstance(refunds, dict) else False
            if not isinstance(listed, list | None):  # a Stripe list: {"data": [...], ...}
                raise MalformedEvent("the charge's refunds are not a list of refunds")
            for refund in listed or []:
                if not isinstance(refund, dict):
                    raise MalformedEvent("a refund on the charge is not an object")
                _stripe_id(refund.get("id"), what="a refund's id")
                _amount(refund.get("amount"), what="a refund's amount")
                _text(refund.get("status"), 40, what="a refund's status")
    elif kind == "invoice":
        _expandable_id(obj.get("customer"), what="the invoice's customer")
        _expandable_id(obj.get("subscription"), what="the invoice's subscription")
        parent = obj.get("parent")
        if parent is not None:
            details = parent.get("subscription_details") if isinstance(parent, dict) else False
            if not isinstance(details, dict | None):
                raise MalformedEvent("the invoice's parent is not Stripe's shape")
            _expandable_id((details or {}).get("subscription"),
                           what="the invoice's parent subscription")
        _expandable_id(obj.get("payment_intent"), what="the invoice's payment_intent")
        _amount(obj.get("amount_paid"), what="the invoice's amount_paid")
        _text(obj.get("status"), 40, what="the invoice's status")
    elif kind == "subscription":
        _expandable_id(obj.get("customer"), what="the subscription's customer")
        _text(obj.get("status"), 40, what="the subscription's status")
    elif kind == "dispute":
        _expandable_id(obj.get("charge"), what="the dispute's charge")
        _expandable_id(obj.get("payment_intent"), what="the dispute's payment_intent")
        _amount(obj.get("amount"), what="the dispute's amount")
        _text(obj.get("status"), 40, what="the dispute's status")
        _text(obj.get("reason"), 100, what="the dispute's reason")


def _stripe_id(value, *, what: str) -> str:
    if isinstance(value, str) and STRIPE_ID.fullmatch(value):
        return value
    raise MalformedEvent(f"{what} is not a Stripe id")


def _expandable_id(value, *, what: str) -> None:
    """Absent, an id, or the expanded object with its id (as the stand-in sends them)."""
    if value is None or value == "":
        return
    _stripe_id(value.get("id") if isinstance(value, dict) else value, what=what)


def _amount(value, *, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise MalformedEvent(f"{what} is not an amount in minor units")


def _text(value, max_length: int, *, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise MalformedEvent(f"{what} is not a short text")
