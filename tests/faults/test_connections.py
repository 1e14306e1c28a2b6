"""Donors waiting on a slow Stripe hold no PostgreSQL connection (docs/db-pool.md): the web
processes' pool is given back during every Stripe call, so thirty donors paying at once
through 2 web processes with a pool of 4 each use at most those 8 (plus the workers').
Before, every request opened its own backend and kept it through Stripe's answer: at 200
donors PostgreSQL ran out of connections and donors got 503s."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.faults.conftest import card_token

pytestmark = pytest.mark.faults

DONORS = 30
POOL = 4


def test_thirty_donors_waiting_on_stripe_hold_at_most_the_pools_connections(make_lifeline):
    lifeline = make_lifeline(stripe_latency_ms=1500, extra_env={"DATABASE_POOL_SIZE": str(POOL)})

    def give(i: int) -> str:
        session = requests.Session()
        gift = session.post(lifeline.url + "/api/v1/donations/", timeout=60, json={
            "appeal": "emergency-appeal", "amount": "10.00", "currency": "GBP",
            "email": f"slow{i}@example.com"}).json()
        token = card_token(session, lifeline.standin.url, gift["publishable_key"]).json()["id"]
        ready.wait(120)  # everyone pays at once
        paid = session.post(f"{lifeline.url}/api/v1/donations/{gift['id']}/pay/", timeout=60,
                            json={"confirmation_token": token})
        return paid.json().get("status", paid.status_code)

    ready = threading.Event()
    backends = []
    with ThreadPoolExecutor(DONORS) as pool:
        outcomes = [pool.submit(give, i) for i in range(DONORS)]
        time.sleep(1)
        while lifeline.sql("SELECT count(*) FROM donations_donation WHERE stripe_payment_intent"
                           " <> ''")[0][0] < DONORS:
            time.sleep(0.2)
        time.sleep(2)  # every token made
        ready.set()
        deadline = time.monotonic() + 4  # the confirms are waiting on Stripe's 1.5 s
        while time.monotonic() < deadline:
            backends.append(lifeline.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")[0][0])
            time.sleep(0.05)
        results = [f.result(timeout=120) for f in outcomes]

    assert results == ["succeeded"] * DONORS
    workers = 2 * 2 + 1 + 2  # worker pool processes, beat, each worker's own main connection
    print(f"backends while {DONORS} donors waited on Stripe: max {max(backends)}")
    assert max(backends) <= 2 * POOL + workers, backends
