"""SetupIntents: where Stripe.js puts the donor's card before we charge it on the server."""

from __future__ import annotations

from dataclasses import dataclass

from gateways.stripe.client import call, client
from gateways.stripe.declines import CardDecline, decline_in
from gateways.stripe.objects import object_id


def setup_intent_create(*, customer: str, metadata: dict) -> tuple[str, str]:
    """A SetupIntent that Stripe.js fills with the donor's card: (id, client_secret)."""
    seti = call(
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
    # The card the bank declined when it was last put in (Stripe.js told the donor; we
    # learn it here, or from Stripe's setup_intent.setup_failed event), or None.
    decline: CardDecline | None = None


def setup_intent_card(setup_intent_id: str) -> SetupCard:
    """A SetupIntent's status, the card the donor put into it, and its last decline."""
    seti = call(client().v1.setup_intents.retrieve, setup_intent_id,
                params={"expand": ["payment_method"]}).to_dict()
    method = seti.get("payment_method")
    card = method.get("card") or {} if isinstance(method, dict) else {}
    return SetupCard(status=seti["status"], payment_method=object_id(method),
                     fingerprint=card.get("fingerprint") or "", decline=decline_in(seti))
