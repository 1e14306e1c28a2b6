"""The Stripe API version: pinned on every call we make, and noticed on the events we get.

Calls are read as they leave the SDK, through the counting proxy between it and the stand-in
(tests.helpers.StripeCallCounter); events are signed as Stripe signs them and posted to the
real webhook endpoint.
"""

import io
import logging
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from donations.models import StripeEvent
from gateways.stripe import STRIPE_API_VERSION
from tests.donations.test_webhooks import (  # noqa: F401  (paid_at_stripe_only, stripe_api)
    deliver,
    paid_at_stripe_only,
    shown_status,
    standin_events,
    stripe_api,
)
from tests.helpers import DONATION, confirmation_token

CARD_DECLINED = "4000000000000341"

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_VERSION = "2024-06-20"
WARNING = (f"Stripe sends events of API version {OTHER_VERSION}; Lifeline expects "
           f"{STRIPE_API_VERSION}: update the endpoint&#x27;s version")


def test_every_stripe_call_sends_the_pinned_api_version(client, demo, standin, stripe_calls):
    gift = client.post("/api/v1/donations/", DONATION, content_type="application/json")
    assert gift.status_code == 201, gift.content
    gift_id = gift.json()["id"]
    paid = client.post(f"/api/v1/donations/{gift_id}/pay/", content_type="application/json",
                       data={"confirmation_token": confirmation_token(CARD_DECLINED, standin)})
    assert paid.status_code == 402, paid.content
    assert client.get(f"/donations/{gift_id}/thanks/").status_code == 200
    call_command("reconcile_stripe", "--older-than", "0", stdout=io.StringIO())

    # a PaymentIntent made and confirmed, the declined card's token read, the thanks page's
    # and reconciliation's reads of the PaymentIntent, the refunds and disputes listed: each
    # with our version
    assert stripe_calls.total() >= 6
    assert stripe_calls.versions == [STRIPE_API_VERSION] * stripe_calls.total()


def test_event_of_another_api_version_is_applied_and_shown_on_payments_health(
    client, admin_client, standin, paid_at_stripe_only, caplog
):
    gift = paid_at_stripe_only
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])
    health = reverse("admin:donations_payments_health")
    assert succeeded["api_version"] != STRIPE_API_VERSION  # the stand-in's own stamp…
    assert WARNING not in admin_client.get(health).content.decode()  # …says nothing

    older = dict(succeeded, id=f"evt_{uuid.uuid4().hex[:24]}", api_version=OTHER_VERSION)
    with caplog.at_level(logging.WARNING, logger="gateways.stripe.webhooks"):
        answer = deliver(client, older)

    assert answer.status_code == 200 and answer.content == b"applied"
    assert shown_status(client, gift["id"]) == "succeeded"
    assert [r.api_version for r in caplog.records
            if r.getMessage() == "stripe event of another API version"] == [OTHER_VERSION]
    page = admin_client.get(health).content.decode()
    assert WARNING in page

    # The endpoint updated: its next event is of our version, and the warning goes.
    ours = dict(succeeded, id=f"evt_{uuid.uuid4().hex[:24]}", api_version=STRIPE_API_VERSION)
    assert deliver(client, ours).status_code == 200
    assert StripeEvent.objects.filter(api_version=STRIPE_API_VERSION).count() == 1
    assert WARNING not in admin_client.get(health).content.decode()


@pytest.mark.parametrize("api_version", [12, "2024-06-20;drop", "x" * 41])
def test_event_whose_api_version_is_not_a_version_is_refused(
    client, standin, paid_at_stripe_only, api_version
):
    gift = paid_at_stripe_only
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])
    answer = deliver(client, dict(succeeded, api_version=api_version))
    assert answer.status_code == 400
    assert not StripeEvent.objects.exists()
    assert shown_status(client, gift["id"]) == "pending"
