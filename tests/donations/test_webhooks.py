"""Stripe's webhook at /stripe/webhook/, as finance and donors notice it.

PaymentIntents are real ones at the stand-in, made by our API. Events the stand-in sends
(payment_intent.succeeded / payment_failed) are taken from its event log and delivered here
signed as Stripe signs them; events it never sends (refunds, disputes, cancels made outside
the app) are shaped from Stripe's example objects in ../shared/stripe-fixtures/fixtures3.json
with our ids and amounts substituted.
"""

import copy
import hashlib
import hmac
import json
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests
import stripe
from django.conf import settings

from donations.models import Dispute, Donation, DonationEvent, Refund, StripeEvent
from gateways import stripe as stripe_gateway
from tests.helpers import confirmation_token, create_donation, give_card

pytestmark = pytest.mark.django_db(transaction=True)

# Stripe's own example objects (../shared/stripe-fixtures/fixtures3.json, MIT), the ones we
# use copied into the repo so that the suite runs wherever the repo is cloned.
FIXTURES_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "stripe_examples.json"
STRIPE_EXAMPLES = json.loads(FIXTURES_PATH.read_text())["resources"]

WEBHOOK_URL = "/stripe/webhook/"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_3DS = "4000002500003155"
GIFT = 2500  # £25.00, the default of tests.helpers.create_donation


# --- signing and delivering -------------------------------------------------------------


def signature(payload: str, *, t: int | None = None, secret: str | None = None) -> str:
    """The Stripe-Signature header Stripe computes: HMAC-SHA256 over "{t}.{payload}"."""
    t = int(time.time()) if t is None else t
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    v1 = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


def deliver(client, event, **signing):
    """POST one event (a dict, or a raw body) to the webhook, signed unless told otherwise."""
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature(payload, **signing)},
    )


# --- Stripe's example objects, with our ids and amounts ---------------------------------


def example(kind: str) -> dict:
    return copy.deepcopy(STRIPE_EXAMPLES[kind])


def stripe_event(event_type: str, obj: dict) -> dict:
    event = example("event")
    event.update(
        id=f"evt_{uuid.uuid4().hex[:24]}",
        type=event_type,
        created=int(time.time()),
        data={"object": obj},
    )
    return event


def charge_refunded(paid: dict, amount_refunded: int) -> dict:
    """charge.refunded as Stripe sends it after a refund in the Dashboard (cumulative)."""
    charge = example("charge")
    refund = example("refund")
    refund.update(
        id=f"re_{uuid.uuid4().hex[:24]}", amount=amount_refunded, charge=paid["charge"],
        payment_intent=paid["payment_intent"], currency="gbp",
    )
    charge.update(
        id=paid["charge"], payment_intent=paid["payment_intent"], amount=GIFT,
        amount_captured=GIFT, captured=True, currency="gbp", amount_refunded=amount_refunded,
        refunded=amount_refunded >= GIFT,
    )
    charge["refunds"].update(data=[refund], url=f"/v1/charges/{paid['charge']}/refunds")
    return stripe_event("charge.refunded", charge)


def charge_dispute(event_type: str, paid: dict, status: str, *, dispute_id: str,
                   with_payment_intent: bool = True) -> dict:
    """charge.dispute.*; older API versions send the charge only (payment_intent null)."""
    dispute = example("dispute")
    dispute.update(
        id=dispute_id, charge=paid["charge"], amount=GIFT, currency="gbp",
        status=status, reason="fraudulent",
        payment_intent=paid["payment_intent"] if with_payment_intent else None,
    )
    dispute["payment_method_details"]["card"]["case_type"] = "chargeback"
    return stripe_event(event_type, dispute)


def payment_intent_event(event_type: str, payment_intent: str, status: str, **fields) -> dict:
    """A payment_intent.* event snapshot (which the handler must not trust over Stripe)."""
    pi = example("payment_intent")
    pi.update(
        id=payment_intent, amount=GIFT, currency="gbp", status=status,
        client_secret=f"{payment_intent}_secret_x", automatic_payment_methods=None,
        last_payment_error=None, next_action=None, transfer_data=None,
    )
    pi.update(fields)
    return stripe_event(event_type, pi)


# --- the stand-in and our API -------------------------------------------------------------


@pytest.fixture
def stripe_api(standin):
    """The stand-in through the official SDK, as the Dashboard or another system would."""
    return stripe.StripeClient("sk_test_webhooks", base_addresses={"api": standin})


def standin_events(standin: str, event_type: str, payment_intent: str) -> list[dict]:
    """The stand-in's own events of that type for that PaymentIntent, oldest first."""
    answer = requests.get(
        f"{standin}/v1/events", params={"type": event_type, "limit": 100},
        headers={"Authorization": "Bearer sk_test_webhooks"}, timeout=10,
    )
    answer.raise_for_status()
    return [e for e in answer.json()["data"] if e["data"]["object"]["id"] == payment_intent]


def pending_donation(base_url: str) -> dict:
    created = create_donation(base_url)
    assert created.status_code == 201, created.text
    body = created.json()
    return {"id": body["id"], "payment_intent": body["client_secret"].split("_secret_")[0]}


def paid_by_donor(base_url: str) -> dict:
    """A £25 gift to the demo appeal, paid with 4242 through our API (the donor's path)."""
    gift = pending_donation(base_url)
    paid = give_card(base_url, gift["id"], CARD_OK)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    gift["charge"] = Donation.objects.get(pk=gift["id"]).stripe_charge
    assert gift["charge"].startswith("ch_")
    return gift


def pay_at_stripe(stripe_api, payment_intent: str, number: str = CARD_OK) -> None:
    """Confirm the PaymentIntent at Stripe behind our back (the browser never reports it)."""
    pm = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_api.v1.payment_intents.update(payment_intent, params={"payment_method": pm.id})
    stripe_api.v1.payment_intents.confirm(payment_intent)


def give_3ds_card_and_pass_the_bank(base_url: str, donation_id: str) -> str:
    """A 3-D Secure card through our API, then the bank's "Complete authentication" that
    Stripe.js does, and the donor's tab closes: our server never hears of the success.
    Returns the PaymentIntent charged."""
    pk = settings.STRIPE_PUBLISHABLE_KEY
    pay = requests.post(f"{base_url}/api/v1/donations/{donation_id}/pay/", timeout=30,
                        json={"confirmation_token": confirmation_token(CARD_3DS)})
    assert pay.status_code == 200 and pay.json()["status"] == "requires_action", pay.text
    pi_secret = pay.json()["client_secret"]
    pi = pi_secret.split("_secret_")[0]
    bank = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{pi}/_authenticate",
        json={"key": pk, "client_secret": pi_secret, "success": True}, timeout=30,
    )
    assert bank.json()["status"] == "succeeded", bank.text
    return pi


def shown_status(client, donation_id: str) -> str:
    return client.get(f"/api/v1/donations/{donation_id}/").json()["status"]


def appeal_progress(client) -> tuple[str, int]:
    appeal = client.get("/api/v1/appeals/emergency-appeal/").json()
    return appeal["raised_amount"], appeal["donor_count"]


def status_changes(donation_id: str) -> list[tuple[str, str]]:
    return list(
        DonationEvent.objects.filter(donation_id=donation_id, kind="status")
        .order_by("created_at", "id").values_list("from_status", "to_status")
    )


# --- who may speak for Stripe -------------------------------------------------------------


@pytest.fixture
def paid_at_stripe_only(demo, live_server, stripe_api):
    """A donation Stripe has charged while we still show it pending: any accepted
    payment_intent.succeeded would change it, so a refused one visibly changes nothing."""
    gift = pending_donation(live_server.url)
    pay_at_stripe(stripe_api, gift["payment_intent"])
    return gift


UNSIGNED_DELIVERIES = {
    "forged signature": lambda client, event: deliver(client, event, secret="whsec_someone_else"),
    "signature older than five minutes": lambda client, event: deliver(
        client, event, t=int(time.time()) - 301),
    "no signature": lambda client, event: client.post(
        WEBHOOK_URL, data=json.dumps(event), content_type="application/json"),
}


@pytest.mark.parametrize("delivery", UNSIGNED_DELIVERIES.values(), ids=UNSIGNED_DELIVERIES)
def test_a_delivery_without_our_valid_signature_is_refused_and_changes_nothing(
        client, paid_at_stripe_only, delivery):
    event = payment_intent_event(
        "payment_intent.succeeded", paid_at_stripe_only["payment_intent"], "succeeded"
    )
    answer = delivery(client, event)
    assert answer.status_code == 400
    assert not StripeEvent.objects.exists()
    assert shown_status(client, paid_at_stripe_only["id"]) == "pending"


@pytest.mark.parametrize("body", ["not json at all", '{"id": "evt_1", "type": ', "\u00e9t\u00e9"])
def test_signed_body_that_is_not_json_is_refused(client, body):
    answer = deliver(client, body)
    assert answer.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "123",
        '{"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}',
        '{"id": "evt_1", "type": "charge.refunded", "data": {"object": {}}}',
        '{"id": "evt_1", "type": "charge.refunded", "data": {"object": "ch_1"}}',
    ],
)
def test_signed_body_that_is_not_a_stripe_event_is_refused_not_a_500(client, body):
    answer = deliver(client, body)
    assert answer.status_code == 400
    assert not StripeEvent.objects.exists()


def test_unknown_event_type_is_acknowledged_and_ignored(client, paid_at_stripe_only):
    # Stripe's own example event is a plan.created, which a donation service does not handle.
    answer = deliver(client, example("event") | {"created": int(time.time())})
    assert answer.status_code == 200
    assert shown_status(client, paid_at_stripe_only["id"]) == "pending"
    assert DonationEvent.objects.filter(donation_id=paid_at_stripe_only["id"]).count() == 1


# --- payments -------------------------------------------------------------------------------


def test_success_delivered_twice_counts_the_gift_once(client, standin, paid_at_stripe_only):
    gift = paid_at_stripe_only
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])

    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, succeeded).status_code == 200

    assert StripeEvent.objects.filter(event_id=succeeded["id"]).count() == 1
    assert shown_status(client, gift["id"]) == "succeeded"
    assert status_changes(gift["id"]) == [("pending", "succeeded")]
    assert appeal_progress(client) == ("25.00", 1)


def test_late_payment_failed_after_success_keeps_the_gift_succeeded(
    client, standin, paid_at_stripe_only
):
    gift = paid_at_stripe_only
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])
    assert deliver(client, succeeded).status_code == 200
    # An earlier card's failure on the same PaymentIntent, delivered late: its snapshot says
    # requires_payment_method, but Stripe, asked again, says succeeded.
    late_failure = payment_intent_event(
        "payment_intent.payment_failed", gift["payment_intent"], "requires_payment_method",
        last_payment_error={"type": "card_error", "code": "card_declined",
                            "message": "Your card was declined."},
    )
    late_failure["created"] -= 60

    assert deliver(client, late_failure).status_code == 200

    assert shown_status(client, gift["id"]) == "succeeded"
    assert status_changes(gift["id"]) == [("pending", "succeeded")]
    assert Donation.objects.get(pk=gift["id"]).failure_message == ""


def test_declined_card_fails_the_gift_and_a_second_card_succeeds_by_webhook(
    client, demo, live_server, standin, stripe_api
):
    gift = pending_donation(live_server.url)
    with pytest.raises(stripe.CardError):
        pay_at_stripe(stripe_api, gift["payment_intent"], CARD_DECLINED)
    [failed] = standin_events(standin, "payment_intent.payment_failed", gift["payment_intent"])

    assert deliver(client, failed).status_code == 200
    assert shown_status(client, gift["id"]) == "failed"
    assert Donation.objects.get(pk=gift["id"]).failure_message

    # The donor tries a 3-D Secure card on the same PaymentIntent (Stripe takes another card
    # after a decline), passes the bank's check, and closes the tab.
    second = give_3ds_card_and_pass_the_bank(live_server.url, gift["id"])
    assert second == gift["payment_intent"]
    assert shown_status(client, gift["id"]) == "pending"
    [succeeded] = standin_events(standin, "payment_intent.succeeded", second)

    assert deliver(client, succeeded).status_code == 200
    assert shown_status(client, gift["id"]) == "succeeded"
    # The first card's failure, delivered again afterwards, changes nothing.
    assert deliver(client, failed).status_code == 200
    assert shown_status(client, gift["id"]) == "succeeded"
    assert status_changes(gift["id"]) == [
        ("pending", "failed"), ("failed", "pending"), ("pending", "succeeded")
    ]
    assert Donation.objects.get(pk=gift["id"]).failure_message == ""
    assert appeal_progress(client) == ("25.00", 1)


def test_payment_canceled_at_stripe_cancels_the_pending_gift(client, demo, live_server,
                                                             stripe_api):
    gift = pending_donation(live_server.url)
    stripe_api.v1.payment_intents.cancel(gift["payment_intent"])
    canceled = payment_intent_event(
        "payment_intent.canceled", gift["payment_intent"], "canceled",
        canceled_at=int(time.time()), cancellation_reason="abandoned",
    )

    assert deliver(client, canceled).status_code == 200
    assert deliver(client, canceled).status_code == 200

    assert shown_status(client, gift["id"]) == "canceled"
    assert status_changes(gift["id"]) == [("pending", "canceled")]
    assert appeal_progress(client) == ("0.00", 0)


def test_canceled_event_that_stripe_contradicts_leaves_the_gift_pending(
    client, demo, live_server
):
    """The event's snapshot is not taken over Stripe's word: the PaymentIntent is still open."""
    gift = pending_donation(live_server.url)
    canceled = payment_intent_event("payment_intent.canceled", gift["payment_intent"],
                                    "canceled", cancellation_reason="abandoned")
    assert deliver(client, canceled).status_code == 200
    assert shown_status(client, gift["id"]) == "pending"


# --- refunds --------------------------------------------------------------------------------


def test_partial_then_full_refund_lowers_what_the_appeal_has_raised(client, demo, live_server):
    gift = paid_by_donor(live_server.url)
    assert appeal_progress(client) == ("25.00", 1)

    assert deliver(client, charge_refunded(gift, 1000)).status_code == 200
    assert shown_status(client, gift["id"]) == "partially_refunded"
    assert Donation.objects.get(pk=gift["id"]).refunded_amount == 1000
    assert appeal_progress(client) == ("15.00", 1)

    assert deliver(client, charge_refunded(gift, GIFT)).status_code == 200
    assert shown_status(client, gift["id"]) == "refunded"
    assert Donation.objects.get(pk=gift["id"]).refunded_amount == GIFT
    assert appeal_progress(client) == ("0.00", 0)
    assert status_changes(gift["id"])[-2:] == [
        ("succeeded", "partially_refunded"), ("partially_refunded", "refunded")
    ]


def test_refund_events_twice_and_in_reverse_order_end_fully_refunded(client, demo,
                                                                     live_server):
    gift = paid_by_donor(live_server.url)
    partial, full = charge_refunded(gift, 1000), charge_refunded(gift, GIFT)

    for event in (full, full, partial, partial):
        assert deliver(client, event).status_code == 200

    donation = Donation.objects.get(pk=gift["id"])
    assert donation.status == "refunded" and donation.refunded_amount == GIFT
    assert shown_status(client, gift["id"]) == "refunded"
    assert appeal_progress(client) == ("0.00", 0)
    assert StripeEvent.objects.count() == 2
    assert status_changes(gift["id"])[-1] == ("succeeded", "refunded")


def test_refund_reported_before_the_payment_still_ends_refunded(
    client, standin, paid_at_stripe_only, stripe_api
):
    """Stripe's events race: the refund's can arrive before the payment's."""
    gift = paid_at_stripe_only
    latest = stripe_api.v1.payment_intents.retrieve(gift["payment_intent"]).latest_charge
    gift["charge"] = stripe_gateway.object_id(latest)
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])

    assert deliver(client, charge_refunded(gift, GIFT)).status_code == 200
    assert shown_status(client, gift["id"]) == "pending"
    assert deliver(client, succeeded).status_code == 200

    assert shown_status(client, gift["id"]) == "refunded"
    assert appeal_progress(client) == ("0.00", 0)


# --- disputes -------------------------------------------------------------------------------


def test_disputed_gift_is_left_out_of_raised_until_the_dispute_is_won(client, demo,
                                                                      live_server):
    gift = paid_by_donor(live_server.url)
    created = charge_dispute("charge.dispute.created", gift, "needs_response", dispute_id="dp_1")

    assert deliver(client, created).status_code == 200
    assert deliver(client, created).status_code == 200
    assert shown_status(client, gift["id"]) == "disputed"
    assert appeal_progress(client) == ("0.00", 0)

    won = charge_dispute("charge.dispute.closed", gift, "won", dispute_id="dp_1")
    assert deliver(client, won).status_code == 200
    assert shown_status(client, gift["id"]) == "succeeded"
    assert appeal_progress(client) == ("25.00", 1)
    assert Dispute.objects.get(pk="dp_1").status == "won"


def test_won_dispute_after_a_partial_refund_returns_to_partially_refunded(
    client, demo, live_server
):
    gift = paid_by_donor(live_server.url)
    assert deliver(client, charge_refunded(gift, 500)).status_code == 200
    created = charge_dispute("charge.dispute.created", gift, "needs_response", dispute_id="dp_2")
    assert deliver(client, created).status_code == 200
    assert shown_status(client, gift["id"]) == "disputed"

    won = charge_dispute("charge.dispute.closed", gift, "won", dispute_id="dp_2")
    assert deliver(client, won).status_code == 200

    assert shown_status(client, gift["id"]) == "partially_refunded"
    assert appeal_progress(client) == ("20.00", 1)


def test_lost_dispute_stays_disputed_and_out_of_raised(client, demo, live_server):
    gift = paid_by_donor(live_server.url)
    # Older API versions identify the disputed charge only.
    for event_type, status in (("charge.dispute.created", "needs_response"),
                               ("charge.dispute.updated", "under_review"),
                               ("charge.dispute.closed", "lost")):
        event = charge_dispute(event_type, gift, status, dispute_id="dp_3",
                               with_payment_intent=False)
        assert deliver(client, event).status_code == 200

    assert shown_status(client, gift["id"]) == "disputed"
    assert appeal_progress(client) == ("0.00", 0)
    assert Dispute.objects.get(pk="dp_3").closed


def test_late_dispute_created_does_not_reopen_a_won_dispute(client, demo, live_server):
    gift = paid_by_donor(live_server.url)
    created = charge_dispute("charge.dispute.created", gift, "needs_response", dispute_id="dp_4")
    won = charge_dispute("charge.dispute.closed", gift, "won", dispute_id="dp_4")

    assert deliver(client, won).status_code == 200
    assert deliver(client, created).status_code == 200

    assert shown_status(client, gift["id"]) == "succeeded"
    assert appeal_progress(client) == ("25.00", 1)
    assert status_changes(gift["id"]) == [("pending", "succeeded")]


def test_lost_dispute_delivered_twice_and_in_reverse_order_ends_disputed_on_the_ledger(
    client, admin_client, demo, live_server
):
    gift = paid_by_donor(live_server.url)
    created = charge_dispute("charge.dispute.created", gift, "needs_response", dispute_id="dp_5")
    lost = charge_dispute("charge.dispute.closed", gift, "lost", dispute_id="dp_5")

    for event in (lost, lost, created, created):
        assert deliver(client, event).status_code == 200

    assert shown_status(client, gift["id"]) == "disputed"
    assert appeal_progress(client) == ("0.00", 0)
    assert Dispute.objects.get(pk="dp_5").status == "lost"
    ledger = admin_client.get("/admin/donations/receipt/").content.decode()
    assert '<td class="field-state">disputed</td>' in ledger


def test_refund_made_in_stripes_dashboard_is_kept_in_the_gifts_history(client, demo,
                                                                      live_server):
    gift = paid_by_donor(live_server.url)
    event = charge_refunded(gift, 700)
    refund_id = event["data"]["object"]["refunds"]["data"][0]["id"]

    assert deliver(client, event).status_code == 200
    assert deliver(client, event).status_code == 200

    refund = Refund.objects.get()
    assert (refund.stripe_id, refund.amount, str(refund.donation_id)) == (refund_id, 700,
                                                                          gift["id"])
    assert shown_status(client, gift["id"]) == "partially_refunded"


# --- not ours -------------------------------------------------------------------------------


def test_events_for_payments_that_are_not_ours_change_nothing(client, demo, live_server,
                                                               standin, stripe_api):
    gift = paid_by_donor(live_server.url)
    before = list(DonationEvent.objects.values_list("id", flat=True))
    # Another system on the same Stripe account takes a payment of its own.
    theirs = stripe_api.v1.payment_intents.create(params={
        "amount": 4000, "currency": "gbp", "payment_method_types": ["card"]})
    pay_at_stripe(stripe_api, theirs.id)
    [their_success] = standin_events(standin, "payment_intent.succeeded", theirs.id)
    stranger = {"payment_intent": theirs.id,
                "charge": stripe_gateway.object_id(
                    stripe_api.v1.payment_intents.retrieve(theirs.id).latest_charge)}
    nobody = {"payment_intent": "pi_unknown000000000000000", "charge": "ch_unknown0000000000"}
    events = [
        their_success,
        payment_intent_event("payment_intent.payment_failed", nobody["payment_intent"],
                             "requires_payment_method"),
        payment_intent_event("payment_intent.canceled", theirs.id, "canceled"),
        charge_refunded(stranger, GIFT),
        charge_refunded(nobody, GIFT),
        charge_dispute("charge.dispute.created", stranger, "needs_response", dispute_id="dp_x"),
        charge_dispute("charge.dispute.created", nobody, "needs_response", dispute_id="dp_y",
                       with_payment_intent=False),
    ]

    for event in events:
        assert deliver(client, event).status_code == 200

    donation = Donation.objects.get(pk=gift["id"])
    assert donation.status == "succeeded" and donation.refunded_amount == 0
    assert not Dispute.objects.exists()
    assert list(DonationEvent.objects.values_list("id", flat=True)) == before
    assert appeal_progress(client) == ("25.00", 1)


# --- Stripe unreachable ---------------------------------------------------------------------


@pytest.fixture
def stripe_unreachable(settings):
    """Stripe's API on a port where nothing listens, for this test only."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    stripe_gateway.client.cache_clear()
    yield
    stripe_gateway.client.cache_clear()


def test_stripe_unreachable_answers_503_so_stripe_delivers_again(
    client, standin, paid_at_stripe_only, settings, request
):
    gift = paid_at_stripe_only
    [succeeded] = standin_events(standin, "payment_intent.succeeded", gift["payment_intent"])
    request.getfixturevalue("stripe_unreachable")

    answer = deliver(client, succeeded)

    assert answer.status_code == 503
    assert not StripeEvent.objects.exists()
    assert shown_status(client, gift["id"]) == "pending"

    # Stripe is back; its redelivery of the same event is applied, not taken for a duplicate.
    settings.STRIPE_API_BASE = standin
    stripe_gateway.client.cache_clear()
    assert deliver(client, succeeded).status_code == 200
    assert StripeEvent.objects.filter(event_id=succeeded["id"]).count() == 1
    assert shown_status(client, gift["id"]) == "succeeded"


# --- real delivery by the stand-in ----------------------------------------------------------


def test_donor_who_closes_the_tab_after_3d_secure_is_still_counted(demo, webhooks, client):
    """The bank says yes and the tab is closed before our page hears of it: the stand-in's
    own payment_intent.succeeded, delivered to the live server, records the gift."""
    gift = pending_donation(webhooks.url)
    give_3ds_card_and_pass_the_bank(webhooks.url, gift["id"])
    assert Donation.objects.get(pk=gift["id"]).status == "pending"

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Donation.objects.get(pk=gift["id"]).status == "succeeded":
            break
        time.sleep(0.1)

    assert Donation.objects.get(pk=gift["id"]).status == "succeeded"
    assert DonationEvent.objects.filter(
        donation_id=gift["id"], kind="status", to_status="succeeded", source="webhook"
    ).count() == 1
    assert appeal_progress(client) == ("25.00", 1)
