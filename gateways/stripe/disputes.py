"""Disputes opened at Stripe, found for reconciliation."""

from __future__ import annotations

from datetime import datetime

import stripe

from gateways.stripe.client import client
from gateways.stripe.errors import PaymentProviderError, Unsupported


def disputes_since(since: datetime, *, page_size: int = 100, pace=None) -> list[dict]:
    """Every dispute opened at Stripe from `since` on, whatever its status now, as dicts.

    :raises Unsupported: the endpoint answers 404 (the stand-in; real Stripe always has it).
    """
    found: list[dict] = []
    params: dict = {"limit": page_size, "created": {"gte": int(since.timestamp())}}
    while True:
        if pace:
            pace()
        try:
            page = client().v1.disputes.list(params=params)
        except stripe.StripeError as exc:
            if exc.http_status == 404:  # the stand-in's plain-text 404 (an APIError)
                raise Unsupported("disputes") from exc
            raise PaymentProviderError(exc.__class__.__name__) from exc
        disputes = [d.to_dict() for d in page.data]
        found.extend(disputes)
        if not page.has_more or not disputes:
            return found
        params = {**params, "starting_after": disputes[-1]["id"]}
