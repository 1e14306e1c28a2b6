"""Customers: the donor at Stripe, whom a SetupIntent's card belongs to."""

from __future__ import annotations

from gateways.stripe.client import call, client


def customer_create(*, email: str, name: str, metadata: dict, idempotency_key: str) -> str:
    params = {"email": email, "metadata": metadata}
    if name:
        params["name"] = name
    return call(client().v1.customers.create, params=params,
                options={"idempotency_key": idempotency_key}).id
