"""Reads of Stripe's balance for reconciliation, through donations.stripe_gateway's client.

The stand-in lists balance transactions (`/v1/balance/history`) but refuses the `created`
filter ("Unexpected created"), so with the stand-in every transaction is listed and the
period is applied here; real Stripe gets `created[gte]`/`created[lt]` and pages through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from donations.stripe_gateway import balance_transactions_list, object_id


@dataclass(frozen=True)
class BalanceTxn:
    id: str
    type: str  # charge | refund | adjustment (disputes) | payment | …
    reporting_category: str
    source: str  # ch_…, re_…, du_…
    currency: str  # upper case
    amount: int
    fee: int
    net: int
    created: int


def balance_transactions(*, start: datetime | None, end: datetime | None) -> list[BalanceTxn]:
    """Stripe's balance transactions created in [start, end), oldest first."""
    lo = int(start.timestamp()) if start else None
    hi = int(end.timestamp()) if end else None
    params: dict = {"limit": 100}
    if not settings.STRIPE_USES_STAND_IN:
        created = {}
        if lo is not None:
            created["gte"] = lo
        if hi is not None:
            created["lt"] = hi
        if created:
            params["created"] = created
    found = [
        BalanceTxn(
            id=t["id"], type=t["type"], reporting_category=t.get("reporting_category") or "",
            source=object_id(t.get("source")), currency=t["currency"].upper(),
            amount=t["amount"], fee=t["fee"], net=t["net"], created=t["created"],
        )
        for t in balance_transactions_list(params)  # PaymentProviderError if Stripe fails
    ]
    found = [t for t in found if (lo is None or t.created >= lo) and (hi is None or t.created < hi)]
    return sorted(found, key=lambda t: (t.created, t.id))
