"""Stripe's balance transactions, which finance reconciles its books against.

Real Stripe gets `created[gte]`/`created[lt]` and pages through; the stand-in refuses the
filter (standin.lists_filter_by_created), so with it every transaction is listed and the
period is applied here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import gateways.stripe.standin as standin
from gateways.stripe.client import call, client
from gateways.stripe.objects import object_id


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
    """Stripe's balance transactions created in [start, end), oldest first.

    :raises PaymentProviderError: Stripe could not be read.
    """
    lo = int(start.timestamp()) if start else None
    hi = int(end.timestamp()) if end else None
    params: dict = {"limit": 100}
    if standin.lists_filter_by_created():
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
        for t in _listed(params)
    ]
    found = [t for t in found if (lo is None or t.created >= lo) and (hi is None or t.created < hi)]
    return sorted(found, key=lambda t: (t.created, t.id))


def _listed(params: dict) -> list[dict]:
    """Every balance transaction the listing's `params` select, all pages, as dicts."""
    def fetch():
        listing = client().v1.balance_transactions.list(params=params)
        return [obj.to_dict() for obj in listing.auto_paging_iter()]

    return call(fetch)
