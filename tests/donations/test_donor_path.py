"""The donor's path through the real stand-in and the live server, without a browser."""

import time

import pytest
import requests

from donations.models import Donation
from tests.helpers import create_donation, give_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_card_4242_makes_the_donation_succeeded(demo, live_server):
    created = create_donation(live_server.url, key="k-4242")
    assert created.status_code == 201, created.text
    paid = give_card(live_server.url, created.json()["id"], "4242424242424242")
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    shown = requests.get(f"{live_server.url}/api/v1/donations/{created.json()['id']}/").json()
    assert shown["status"] == "succeeded"
    assert shown["amount"] == "25.00" and shown["appeal"] == "emergency-appeal"


def test_webhook_alone_marks_the_donation_succeeded(demo, webhooks, standin):
    """The donor's browser never comes back: Stripe's payment_intent.succeeded does it."""
    import stripe

    created = create_donation(webhooks.url).json()
    pi_id = created["client_secret"].split("_secret_")[0]
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.update(pi_id, params={"payment_method": pm.id})
    client.v1.payment_intents.confirm(pi_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Donation.objects.get(pk=created["id"]).status == "succeeded":
            break
        time.sleep(0.2)
    assert Donation.objects.get(pk=created["id"]).status == "succeeded"
