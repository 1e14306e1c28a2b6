"""The fast tier (`make test-fast`): unit tests that start no process.

No Stripe stand-in (this `standin` replaces the suite's, which starts it), no live server, no
worker, no browser; the database is the test session's own SQLite file (or PostgreSQL when
DATABASE_URL says so). A unit test that reached Stripe by mistake fails at once: the SDK is
pointed at a closed port, never at a stand-in `make run` may have left on 8420.
"""

import pytest


@pytest.fixture(autouse=True)
def standin(settings):
    from gateways import stripe as stripe_gateway

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    stripe_gateway.client.cache_clear()
    yield None
    stripe_gateway.client.cache_clear()
