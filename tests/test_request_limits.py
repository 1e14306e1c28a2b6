"""Bodies no client should send: too deep, too big, or signed but not shaped like what they
claim. Whatever arrives, the answer is a 400 in DRF's shape (or, for a webhook, a 400 or an
ignoring 200) and nothing is written, here or at Stripe."""

import json

import pytest
import requests
import stripe
from django.conf import settings

from donations.models import Dispute, Donation, DonationEvent, IdempotencyKey, StripeEvent

pytestmark = pytest.mark.django_db(transaction=True)


def nested(depth: int) -> str:
    """A donation body whose `metadata` is `depth` lists deep (10 KB at 5,000)."""
    return ('{"appeal": "emergency-appeal", "amount": "25.00", "currency": "GBP", '
            '"email": "deep@example.com", "metadata": ' + "[" * depth + "]" * depth + "}")


def is_drf_field_errors(body: dict) -> bool:
    return isinstance(body, dict) and body and all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in body.values())


def stripe_payment_intents(standin: str) -> list:
    answer = requests.get(f"{standin}/v1/payment_intents", params={"limit": 100},
                          headers={"Authorization": "Bearer sk_test_limits"}, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]


@pytest.mark.parametrize("depth", [5000, 500, 40])
def test_a_deeply_nested_donation_body_is_a_400_and_creates_nothing(client, demo, standin,
                                                                    depth):
    client.raise_request_exception = False
    answer = client.post("/api/v1/donations/", data=nested(depth),
                         content_type="application/json", headers={"Idempotency-Key": "deep"})

    assert answer.status_code == 400, answer.content[:300]
    assert is_drf_field_errors(answer.json())
    assert "deep" in json.dumps(answer.json())
    assert not Donation.objects.exists() and not IdempotencyKey.objects.exists()
    assert stripe_payment_intents(standin) == []


def test_ordinary_nesting_is_still_accepted(client, demo):
    answer = client.post("/api/v1/donations/", data=nested(3), content_type="application/json")
    assert answer.status_code == 201, answer.content


def test_an_oversized_donation_body_is_a_400_and_creates_nothing(client, demo, standin):
    client.raise_request_exception = False
    body = json.dumps({"appeal": "emergency-appeal", "amount": "25.00", "currency": "GBP",
                       "email": "big@example.com", "padding": "x" * 2_000_000})

    answer = client.post("/api/v1/donations/", data=body, content_type="application/json")

    assert answer.status_code == 400, answer.content[:300]
    assert is_drf_field_errors(answer.json())
    assert "large" in json.dumps(answer.json())
    assert not Donation.objects.exists()
    assert stripe_payment_intents(standin) == []


@pytest.mark.parametrize("path", ["/api/v1/donations/", "/api/v1/finance/gift-aid/claims/"])
def test_every_json_endpoint_refuses_deep_nesting_with_a_400(admin_client, demo, path):
    """The parser is the project's: finance's endpoints (a superuser here) refuse it too."""
    admin_client.raise_request_exception = False
    answer = admin_client.post(path, data="[" * 5000 + "]" * 5000,
                               content_type="application/json")
    assert answer.status_code == 400, answer.content[:300]
    assert is_drf_field_errors(answer.json())


def test_the_limits_are_settings(settings):
    assert settings.API_MAX_BODY_BYTES >= 16 * 1024
    assert 8 <= settings.JSON_MAX_DEPTH <= 64


# --- Stripe's webhook: signed, but not shaped like a Stripe event ------------------------------


def signed_delivery(client, body: str):
    """POST `body` to the webhook signed with our real secret, as Stripe signs (its SDK)."""
    header = stripe.WebhookSignature.generate_signature_header(
        body, settings.STRIPE_WEBHOOK_SECRET)
    return client.post("/stripe/webhook/", data=body, content_type="application/json",
                       headers={"Stripe-Signature": header})


def event(event_type="payment_intent.succeeded", obj=None, **envelope) -> str:
    body = {"id": "evt_1", "object": "event", "type": event_type,
            "data": {"object": {"id": "pi_1", "object": "payment_intent"} if obj is None
                     else obj}}
    body.update(envelope)
    return json.dumps(body)


def charge(**fields) -> dict:
    return {"id": "ch_1", "object": "charge", "payment_intent": "pi_1",
            "amount_refunded": 500, **fields}


def dispute(**fields) -> dict:
    return {"id": "dp_1", "object": "dispute", "charge": "ch_1", "amount": 500,
            "status": "needs_response", **fields}


MALFORMED = {
    # the body
    "5,000 lists deep": "[" * 5000 + "]" * 5000,
    "an event 5,000 objects deep": '{"a": ' * 5000 + "1" + "}" * 5000,
    "an event 100 levels deep": event(obj={"id": "pi_1", "object": "payment_intent",
                                           "metadata": json.loads("[" * 100 + "]" * 100)}),
    "a JSON string": '"payment_intent.succeeded"',
    # the envelope
    "type a list": event(type=["payment_intent.succeeded"]),
    "type an object": event(type={"name": "charge.refunded"}),
    "no type": event(type=None),
    "data a string": event(data="pi_1"),
    "data a list": event(data=[{"object": {"id": "pi_1"}}]),
    "no data.object": event(data={}),
    "id a number": event(id=5),
    "id longer than our column": event(id="evt_" + "e" * 300),
    "id with a NUL": event(id="evt_\u0000"),
    # data.object of the wrong type, or without the ids we need
    "object a string": event(obj="pi_1"),
    "object a payment intent's id a number": event(obj={"id": 5, "object": "payment_intent"}),
    "object a payment intent's id a list": event(obj={"id": ["pi_1"],
                                                      "object": "payment_intent"}),
    "object a payment intent's id with a NUL": event(obj={"id": "pi_\u0000",
                                                          "object": "payment_intent"}),
    "charge.refunded carrying a payment intent": event("charge.refunded",
                                                       {"id": "pi_1", "object": "payment_intent"}),
    "refund's payment_intent a list": event("charge.refunded", charge(payment_intent=["pi"])),
    "refund's payment_intent an id-less object": event("charge.refunded",
                                                       charge(payment_intent={"x": 1})),
    "refund's amount a string": event("charge.refunded", charge(amount_refunded="500")),
    "refund's amount negative": event("charge.refunded", charge(amount_refunded=-1)),
    "refund's amount past a bigint": event("charge.refunded", charge(amount_refunded=2**64)),
    "refund's refunds a list": event("charge.refunded", charge(refunds=[{"id": "re_1"}])),
    "refund's refunds a string list": event("charge.refunded",
                                            charge(refunds={"data": "re_1"})),
    "a refund without an id": event("charge.refunded",
                                    charge(refunds={"data": [{"amount": 500}]})),
    "dispute's charge a list": event("charge.dispute.created", dispute(charge=["ch_1"])),
    "dispute's charge an object with a numeric id": event("charge.dispute.created",
                                                          dispute(charge={"id": 3})),
    "dispute's amount a float": event("charge.dispute.created", dispute(amount=5.5)),
    "dispute's status an object": event("charge.dispute.closed", dispute(status={"a": 1})),
    "dispute's reason too long": event("charge.dispute.created", dispute(reason="r" * 500)),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED)
def test_a_signed_but_malformed_webhook_is_a_400_and_stores_nothing(client, demo, body):
    client.raise_request_exception = False

    answer = signed_delivery(client, body)

    assert answer.status_code == 400, answer.content[:300]
    assert not StripeEvent.objects.exists()
    assert not DonationEvent.objects.exists() and not Dispute.objects.exists()


def test_a_signed_event_of_a_type_we_do_not_handle_is_ignored_whatever_its_object(client):
    answer = signed_delivery(client, event("customer.created", obj="anything at all"))
    assert answer.status_code == 200
    assert not StripeEvent.objects.exists()


STRANGERS = {
    "a refund with its refunds listed": event("charge.refunded", charge(refunds={"data": [
        {"id": "re_1", "amount": 500, "status": "succeeded"}]})),
    "a dispute with an expanded charge": event("charge.dispute.created", dispute(
        charge={"id": "ch_9", "object": "charge"}, payment_intent="pi_9")),
    "a refund update": event("charge.refund.updated", {"id": "re_1", "object": "refund"}),
}


@pytest.mark.parametrize("body", STRANGERS.values(), ids=STRANGERS)
def test_a_well_formed_event_about_a_stranger_is_still_acknowledged(client, demo, body):
    """The checks refuse shapes, not strangers: Stripe must not retry those for days."""
    answer = signed_delivery(client, body)
    assert answer.status_code == 200, answer.content
    assert not DonationEvent.objects.exists()


def test_an_oversized_webhook_body_is_a_400_and_stores_nothing(client, settings):
    client.raise_request_exception = False
    body = event(obj={"id": "pi_1", "object": "payment_intent",
                      "metadata": {"padding": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}})

    answer = signed_delivery(client, body)

    assert answer.status_code == 400
    assert not StripeEvent.objects.exists()
