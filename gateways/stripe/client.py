"""The SDK client every call goes through, with the API version it pins.

The same code serves real Stripe test mode and the local stand-in (localstripe); only
settings.STRIPE_API_BASE differs (gateways/stripe/standin.py lists where the stand-in differs).
"""

from __future__ import annotations

import functools
import logging

import stripe
from django.conf import settings

from core.db import release_pooled_connections
from gateways.stripe.errors import PaymentProviderError

logger = logging.getLogger(__name__)

# The Stripe API version sent on every request (the `Stripe-Version` header), whatever the
# SDK's default or the account's: objects and events keep the shape this code reads until
# the constant is changed on purpose, with the tests. It is the version stripe 16.1.0 was
# generated for. The stand-in ignores the header and accepts any version.
STRIPE_API_VERSION = "2026-10-28.endive"


def client() -> stripe.StripeClient:
    """The SDK client, for one call now: every Stripe call takes it here, so the request's
    pooled database connection goes back to its pool first and is not held while Stripe
    answers (hundreds of milliseconds; core/db.py, docs/db-pool.md)."""
    release_pooled_connections()
    return _client()


@functools.cache
def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        stripe_version=STRIPE_API_VERSION,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
    )


client.cache_clear = _client.cache_clear  # settings changed (tests): a new SDK client


def call(fn, *args, **kwargs):
    """`fn(*args, **kwargs)`, with Stripe's failures other than a declined card raised as
    PaymentProviderError (a CardError is left to the caller)."""
    try:
        return fn(*args, **kwargs)
    except stripe.CardError:
        raise
    except stripe.StripeError as exc:
        logger.warning("stripe call failed: %s", exc.__class__.__name__)
        raise PaymentProviderError(str(exc.user_message or exc.__class__.__name__)) from exc


def ping() -> None:
    """Raise PaymentProviderError unless Stripe answers."""
    call(client().v1.payment_intents.list, params={"limit": 1})
