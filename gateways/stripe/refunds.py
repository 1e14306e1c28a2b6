"""Refunds: made by us, or found at Stripe (made in its Dashboard) for reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateways.stripe.client import call, client
from gateways.stripe.objects import object_id, when


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


def refund_state(refund: dict) -> RefundState:
    """A refund object (a dict, as Stripe sends it) as Lifeline reads it."""
    return RefundState(
        id=refund["id"], amount=refund["amount"], status=refund.get("status") or "",
        charge_id=object_id(refund.get("charge")),
        payment_intent=object_id(refund.get("payment_intent")),
        created=when(refund.get("created")), metadata=dict(refund.get("metadata") or {}),
    )


def refund_create(*, payment_intent: str, amount: int, idempotency_key: str,
                  metadata: dict) -> RefundState:
    """Refund part or all of a PaymentIntent's charge. (The stand-in rejects `reason`, so
    the reason stays with us, on the Refund row; `metadata` ties Stripe's refund to it.)"""
    refund = call(
        client().v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    ).to_dict()
    return refund_state(refund)


def refunds_since(since: datetime, *, page_size: int = 100, pace=None) -> list[RefundState]:
    """Every refund made at Stripe from `since` on, newest first: one call per `page_size`.

    Stripe lists refunds newest first, so paging stops at the first older one. (No
    `created` filter is sent, to either Stripe: the stand-in answers 400 to it (see
    standin.lists_filter_by_created), and stopping at the cursor costs the same calls.)
    `pace()`, if given, runs before each call.
    """
    found: list[RefundState] = []
    params: dict = {"limit": page_size}
    while True:
        if pace:
            pace()
        page = call(client().v1.refunds.list, params=params)
        refunds = [refund_state(r.to_dict()) for r in page.data]
        for refund in refunds:
            if refund.created is not None and refund.created < since:
                return found
            found.append(refund)
        if not page.has_more or not refunds:
            return found
        params = {"limit": page_size, "starting_after": refunds[-1].id}
