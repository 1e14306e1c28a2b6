"""Stripe's webhooks lost, the donor never back: the scheduler's own `reconcile_stripe`
(beat, the broker, the workers; tests/faults/settings_reconcile.py shortens its period to
10 s and its age to 1 minute, test-only) brings the books in line with no manual reconcile.
"""

import time

import pytest
import requests

from tests.faults.conftest import Donors, assert_books_agree, assert_refunds_agree, eventually
from tests.faults.test_outages import donors_were_only_told_to_retry, more_gifts

pytestmark = pytest.mark.faults
LOST = 4  # gifts paid at Stripe whose webhook is lost and whose donor never returns


def paid_at_stripe_unheard(lifeline, i: int) -> str:
    """A gift created through our API and paid at Stripe as Stripe.js does (the donor's
    browser confirms the PaymentIntent), then the tab closed: nobody comes back to tell us."""
    created = requests.post(lifeline.url + "/api/v1/donations/", timeout=30, json={
        "appeal": "emergency-appeal", "amount": f"{20 + i}.00", "currency": "GBP",
        "email": f"gone{i}@example.com", "first_name": "Gone", "last_name": f"Donor{i}"})
    assert created.status_code == 201, created.text
    payment_intent = created.json()["client_secret"].split("_secret_")[0]
    stripe = lifeline.standin.client().v1
    card = stripe.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe.payment_intents.update(payment_intent, params={"payment_method": card.id})
    assert stripe.payment_intents.confirm(payment_intent).status == "succeeded"
    return created.json()["id"]


def test_scheduled_reconcile_brings_in_lost_payments_and_a_refund_made_at_stripe(
    make_lifeline,
):
    lifeline = make_lifeline(settings_module="tests.faults.settings_reconcile")
    with Donors(lifeline, count=2) as donors:
        more_gifts(donors, 4, "gifts before the webhooks are lost")
        lifeline.mute_webhooks()
        try:
            lost = [paid_at_stripe_unheard(lifeline, i) for i in range(LOST)]
            # Refunded at Stripe before we ever heard of the payment, and a donor's paid
            # gift refunded in Stripe's dashboard: no event for either.
            lifeline.refund_at_stripe(lost[0], 700)
            refunded = donors.paid[0]
            lifeline.refund_at_stripe(refunded, 300)
            time.sleep(2)  # the stand-in sends its events a second after the call: lost
        finally:
            lifeline.mute_webhooks(False)
        more_gifts(donors, 4, "gifts after, their webhooks delivered")
    # Nobody returns and nothing else is sent: only the scheduler's runs remain.
    eventually(lambda: lifeline.sql(
        "SELECT count(*) FROM donations_donation WHERE id::text IN ('" + "','".join(lost)
        + "') AND status IN ('succeeded', 'partially_refunded')") == [(LOST,)],
        timeout=150, what="the scheduler's reconcile bringing in the lost payments")

    counts = assert_books_agree(lifeline)
    refunds = assert_refunds_agree(lifeline, {})
    heard = lifeline.sql(
        "SELECT source, count(*) FROM donations_donationevent WHERE kind = 'status' AND "
        "from_status = 'pending' AND donation_id::text IN ('"
        + "','".join(lost) + "') GROUP BY source")
    applied = lifeline.sql(
        "SELECT source FROM donations_donationevent WHERE kind = 'refund' AND "
        f"donation_id = '{refunded}'")
    print(f"books: {counts}; refunds: {refunds}; lost payments heard from: {heard}; "
          f"the dashboard refund applied by: {applied}")
    assert heard == [("reconcile", LOST)]
    assert applied == [("reconcile",)]
    donors_were_only_told_to_retry(donors, "lost webhooks are not the donors' business")
