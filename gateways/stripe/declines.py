"""A declined card, as Stripe reports it: our confirm's CardError, a SetupIntent's
`last_setup_error`, a PaymentIntent's `last_payment_error` (in Stripe's
`payment_intent.payment_failed` and `setup_intent.setup_failed` events too).

The card-testing defence counts each decline once, however many of these report it: the
`attempt` names it the same way in each (docs/card-testing.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from gateways.stripe.objects import object_id

# Stripe's messages for a declined card (its API writes them in English; Stripe.js's own are
# in the page's language already): shown to the donor in theirs, any other as Stripe gave it.
STRIPE_MESSAGES = frozenset({
    gettext_noop("Your card was declined."),
    gettext_noop("Your card has insufficient funds."),
    gettext_noop("Your card has expired."),
    gettext_noop("Your card's security code is incorrect."),
    gettext_noop("Your card number is incorrect."),
    gettext_noop("An error occurred while processing your card. Try again in a little bit."),
    gettext_noop("Declined."),
})


def decline_message(message: str) -> str:
    """Stripe's message for a decline in the active language, where it is one we know."""
    return gettext(message) if message in STRIPE_MESSAGES else message


# A card that fails 3-D Secure was not declined by its bank: not a card tester's signal.
NOT_A_DECLINE = frozenset({"payment_intent_authentication_failure",
                           "setup_intent_authentication_failure"})
_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
_FINGERPRINT = re.compile(r"[A-Za-z0-9]{1,64}")


@dataclass(frozen=True)
class CardDecline:
    attempt: str  # "charge:<ch_>" for a charge, else "<seti_ or pi_>:<pm_>"
    fingerprint: str  # the card's ("" where the report does not carry it)
    donation_id: str  # the intent's metadata.donation_id ("" if none)


def attempt_key(*, intent: str, charge: str = "", payment_method: str = "") -> str:
    """One decline's name: its charge (a PaymentIntent's), else the intent and the card."""
    if charge:
        return f"charge:{charge}"
    return f"{intent}:{payment_method}" if payment_method else intent


def decline_in(obj: dict) -> CardDecline | None:
    """The decline a PaymentIntent or SetupIntent (as Stripe sends it) reports, if any.
    Tolerant of any shape: what is not as Stripe shapes it is left out, never raised."""
    kind = obj.get("object")
    if kind not in ("payment_intent", "setup_intent"):
        return None
    error = obj.get("last_payment_error" if kind == "payment_intent" else "last_setup_error")
    if not isinstance(error, dict) or error.get("code") in NOT_A_DECLINE:
        return None
    charge = _id(error.get("charge")) or (
        _id(object_id(obj.get("latest_charge"))) if kind == "payment_intent" else "")
    if error.get("type") != "card_error" and error.get("code") != "card_declined" \
            and not charge:
        return None
    method = error.get("payment_method")
    card = method.get("card") if isinstance(method, dict) else None
    fingerprint = card.get("fingerprint") if isinstance(card, dict) else None
    metadata = obj.get("metadata")
    donation_id = metadata.get("donation_id") if isinstance(metadata, dict) else None
    return CardDecline(
        attempt=attempt_key(intent=_id(obj.get("id")), charge=charge,
                            payment_method=_id(object_id(method))),
        fingerprint=fingerprint if _matches(_FINGERPRINT, fingerprint) else "",
        donation_id=donation_id if isinstance(donation_id, str) else "",
    )


def _id(value) -> str:
    return value if _matches(_ID, value) else ""


def _matches(pattern, value) -> bool:
    return isinstance(value, str) and bool(pattern.fullmatch(value))
