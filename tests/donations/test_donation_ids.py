"""A donation's id is the only thing between a stranger and the donor's gift page: it must
be random, and its answers must not be kept by any cache on the way."""

import json
import uuid

import pytest

from donations.models import Donation, IdempotencyKey
from tests.helpers import DONATION

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/donations/"
# The namespace ids were once derived from (uuid5 of the client's Idempotency-Key).
OLD_NAMESPACE = uuid.UUID("5b0c6f4e-7f7a-4e38-9d53-8f0f1d1c2a11")
NO_STORE = "private, no-store"


def post(client, key=None, address="203.0.113.7", body=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, data=json.dumps(body or DONATION), content_type="application/json",
                       headers=headers, REMOTE_ADDR=address)


def test_the_id_is_random_not_derived_from_the_idempotency_key(client, demo):
    answer = post(client, key="order-1")

    assert answer.status_code == 201, answer.content
    made = uuid.UUID(answer.json()["id"])
    assert made.version == 4
    assert made != uuid.uuid5(OLD_NAMESPACE, "order-1")


def test_two_clients_using_the_same_key_get_two_donations(client, demo):
    """Keys are the client's own (scoped to its address): another client that happens to pick
    "order-1" neither receives the first donor's gift (and its client secret) nor a 422."""
    first = post(client, key="order-1", address="203.0.113.7")
    second = post(client, key="order-1", address="198.51.100.23")

    assert first.status_code == second.status_code == 201, second.content
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["client_secret"] != second.json()["client_secret"]
    assert Donation.objects.count() == 2


def test_a_retry_from_the_same_client_still_returns_the_same_donation(client, demo):
    first = post(client, key="order-1")
    retry = post(client, key="order-1")
    changed = post(client, key="order-1", body={**DONATION, "amount": "30.00"})

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert changed.status_code == 422
    assert Donation.objects.count() == 1
    assert IdempotencyKey.objects.get().donation_id == uuid.UUID(first.json()["id"])


def test_the_same_key_at_two_times_never_gives_the_same_id(client, demo):
    """No table of keys to ids can be built: the same key, once forgotten, is a new id."""
    first = post(client, key="order-1").json()["id"]
    Donation.objects.all().delete()  # the key rows go with their donations

    again = post(client, key="order-1").json()["id"]

    assert again != first


def test_donation_answers_are_never_stored_by_a_cache(client, demo):
    created = post(client, key="order-1")
    donation_id = created.json()["id"]
    answers = {
        "created": created,
        "replayed": post(client, key="order-1"),
        "refused": post(client, body={**DONATION, "email": "nope"}),
        "read": client.get(f"{URL}{donation_id}/"),
        "not found": client.get(f"{URL}{uuid.uuid4()}/"),
        "thanks page": client.get(f"/donations/{donation_id}/thanks/"),
    }

    assert {name: a.status_code for name, a in answers.items()} == {
        "created": 201, "replayed": 201, "refused": 400, "read": 200, "not found": 404,
        "thanks page": 200}
    assert {name: a.headers.get("Cache-Control") for name, a in answers.items()} == {
        name: NO_STORE for name in answers}
