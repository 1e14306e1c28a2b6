"""The stand-in's `--latency-ms`: Stripe-like latency for `make run` and the benches
(scripts/stripe_standin.py). The bound is a lower one, on the stand-in's delay, never a
threshold on our code's speed."""

import subprocess
import sys
import time

import pytest
import stripe

from tests.conftest import ROOT, free_port, stop_process, wait_for


@pytest.fixture
def slow_standin():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port", str(port),
         "--latency-ms", "300"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/js.stripe.com/v3/")
        yield url
    finally:
        stop_process(proc)


def test_every_api_request_waits_the_latency(slow_standin):
    api = stripe.StripeClient("sk_test_x", base_addresses={"api": slow_standin},
                              max_network_retries=0)
    started = time.monotonic()
    pi = api.v1.payment_intents.create(params={"amount": 500, "currency": "gbp"})
    took = time.monotonic() - started
    assert pi.status == "requires_payment_method"
    assert took >= 0.3, took
