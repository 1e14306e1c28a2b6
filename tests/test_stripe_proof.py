"""`make stripe-proof` (scripts/stripe_proof.py, issue 14), run as a charity runs it: a
process of its own, with its own throwaway database. Against real Stripe it cannot run here;
against the stand-in (STRIPE_API_BASE) it runs the same calls, end to end."""

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "stripe_proof.py"
TEST_KEY = "sk_test_lifeline_proof"
# Our test run's own settings must not leak into the proof's process.
OURS = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE",
        "STRIPE_ALLOW_LIVE", "CELERY_BROKER_URL", "CELERY_BROKER_DIR", "CACHE_URL")


def run_proof(timeout: float = 50, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in OURS}
    environment.update(env)
    return subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def test_without_a_key_it_says_nothing_was_sent_and_succeeds(stripe_calls):
    done = run_proof(STRIPE_API_BASE=stripe_calls.url)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "STRIPE_SECRET_KEY is not set: nothing was sent to Stripe. Set a test-mode key "
        "(sk_test_…) to run the proof.")
    assert stripe_calls.seen == []


def test_a_live_key_is_refused_before_anything_is_sent(stripe_calls):
    for key in ("sk_live_51Habc", "rk_live_51Habc"):
        done = run_proof(STRIPE_SECRET_KEY=key, STRIPE_API_BASE=stripe_calls.url,
                         STRIPE_ALLOW_LIVE="1")

        assert done.returncode == 2
        assert f"STRIPE_SECRET_KEY is a live key ({key[:8]}…): refused" in done.stderr
        assert "Stripe proof" not in done.stdout
    assert stripe_calls.seen == []


def test_against_the_stand_in_every_case_is_as_expected(standin):
    done = run_proof(STRIPE_SECRET_KEY=TEST_KEY, STRIPE_API_BASE=standin)
    out = done.stdout

    assert done.returncode == 0, out + done.stderr
    for case in ("(a) 4242", "(b) decline, then 4242", "(c) 3-D Secure",
                 "(d) refund part of (a)", "(e) monthly"):
        assert re.search(rf"^{re.escape(case)} +as expected ", out, re.M), out
    assert "DEVIATED" not in out
    assert "All 5 cases as expected" in out
    # What it printed is what the stand-in holds: (a)'s PaymentIntent succeeded, its charge
    # refunded 1000 of 2500; (b) declined once then paid on one PaymentIntent; (c) asked for
    # 3-D Secure, then canceled.
    pi_a, charge_a = re.search(r"PaymentIntent (pi_\w+), charge (ch_\w+), fee (\d+), net (\d+)",
                               out).group(1, 2)
    auth = {"Authorization": f"Bearer {TEST_KEY}"}
    pi = requests.get(f"{standin}/v1/payment_intents/{pi_a}", headers=auth, timeout=10).json()
    assert (pi["status"], pi["amount"], pi["currency"]) == ("succeeded", 2500, "gbp")
    charge = requests.get(f"{standin}/v1/charges/{charge_a}", headers=auth, timeout=10).json()
    assert charge["amount_refunded"] == 1000
    assert "read back from Stripe: charge " + charge_a + " amount_refunded 1000 of 2500" in out
    assert re.search(r"pm_card_visa_chargeDeclined \(ctoken_\w+\): our answer 'declined'", out)
    assert re.search(r"same PaymentIntent both times: True \(pi_\w+\)", out)
    assert re.search(r"pm_card_threeDSecure2Required \(ctoken_\w+\): our answer "
                     r"'requires_action'", out)
    assert "next_action use_stripe_sdk" in out
    assert "cannot answer the bank's 3-D Secure challenge" in out
    assert "Webhooks: not received here" in out
    # (e): the monthly gift's subscription, its two months with their own receipts, and the
    # cancel, as the stand-in holds them.
    subscription = re.search(r"Subscription (sub_\w+)", out).group(1)
    sub = requests.get(f"{standin}/v1/subscriptions/{subscription}", headers=auth,
                       timeout=10).json()
    assert sub["status"] == "canceled"
    months = re.search(r"months here: 2, succeeded 2500 \((LL-\d{4}-\d{6})\), succeeded 2500 "
                       r"\((LL-\d{4}-\d{6})\)", out)
    assert months and months.group(1) != months.group(2), out
    assert re.search(r"Stripe calls by our code: 1 \(DELETE /v1/subscriptions/sub_\w+\)", out)
    assert re.search(r"Stripe calls by our code: 1 \(POST /v1/payment_intents/pi_\w+/confirm\)",
                     out)


def test_a_stripe_that_does_not_answer_is_a_failed_proof():
    """A deviation is a non-zero exit: here every case, Stripe being unreachable."""
    done = run_proof(STRIPE_SECRET_KEY=TEST_KEY, STRIPE_API_BASE="http://127.0.0.1:9")

    assert done.returncode == 1
    assert "5 of 5 cases deviated" in done.stdout
    assert "as expected" not in done.stdout.split("\ncase ")[-1]
