"""Monthly gifts (issue 15, first slice): through the API, the stand-in's Subscriptions and
Invoices, and the webhooks it delivers to the live server (docs/monthly-gifts.md).

A later month is made at the stand-in as the issue says: `Invoice.create(customer=…,
subscription=…)` then `Invoice.pay`. Events the stand-in never sends (`invoice.paid`,
`customer.subscription.updated`) are shaped from Stripe's example objects with our ids.
"""

import json
import time
import uuid

import pytest
import requests
import stripe
from django.conf import settings

from donations.models import Donation, Receipt, RegularGift
from tests.donations.test_webhooks import deliver, example, stripe_event
from tests.helpers import create_donation, eventually, give_card

pytestmark = pytest.mark.django_db(transaction=True)

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
SECRET_KEY = "sk_test_monthly"


@pytest.fixture
def stripe_api(standin):
    """The stand-in through the official SDK, as Stripe's own clock (or its Dashboard) would
    act on a subscription."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": standin})


def start_monthly(base_url: str, **extra) -> dict:
    created = create_donation(base_url, frequency="monthly", **extra)
    assert created.status_code == 201, created.text
    return created.json()


def paid_monthly(base_url: str, **extra) -> dict:
    """A £25-a-month gift to the demo appeal, its first month paid with 4242 on our API."""
    gift = start_monthly(base_url, **extra)
    paid = give_card(base_url, gift["id"], CARD_OK)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    return gift


def regular_gift(client, gift_id: str) -> dict:
    answer = client.get(f"/api/v1/regular-gifts/{gift_id}/")
    assert answer.status_code == 200, answer.content
    return answer.json()


def next_month_at_stripe(stripe_api, gift_id: str) -> dict:
    """Stripe's clock reaches the next month: an invoice for the subscription, paid with the
    customer's card (the stand-in sends payment_intent.succeeded, invoice.payment_succeeded)."""
    gift = RegularGift.objects.get(pk=gift_id)
    invoice = stripe_api.v1.invoices.create(params={
        "customer": gift.stripe_customer, "subscription": gift.stripe_subscription})
    return stripe_api.v1.invoices.pay(invoice.id).to_dict()


def standin_events(standin: str, event_type: str, object_id: str) -> list[dict]:
    answer = requests.get(
        f"{standin}/v1/events", params={"type": event_type, "limit": 100},
        headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=10,
    )
    answer.raise_for_status()
    return [e for e in answer.json()["data"] if e["data"]["object"]["id"] == object_id]


def card_of_customer(stripe_api, customer: str, number: str) -> None:
    """The donor's card at Stripe is now this one (the stand-in pays invoices with the
    customer's default card)."""
    method = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_api.v1.payment_methods.attach(method.id, params={"customer": customer})
    stripe_api.v1.customers.update(customer, params={
        "invoice_settings": {"default_payment_method": method.id}})


def month_declined_at_stripe(stripe_api, standin: str, gift_id: str) -> str:
    """A month whose card is declined: Stripe's retry of the invoice's PaymentIntent fails
    (the stand-in reports the decline only on that retry: ../shared/stripe-stand-in.md)."""
    gift = RegularGift.objects.get(pk=gift_id)
    card_of_customer(stripe_api, gift.stripe_customer, CARD_DECLINED)
    invoice = next_month_at_stripe(stripe_api, gift_id)
    payment_intent = invoice["payment_intent"]
    reset = requests.post(f"{standin}/v1/payment_intents/{payment_intent}",
                          json={"latest_charge": None},
                          headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=10)
    reset.raise_for_status()
    with pytest.raises(stripe.CardError):
        stripe_api.v1.payment_intents.confirm(payment_intent)
    return invoice["id"]


def receipt_numbers(client, gift_id: str) -> list[str]:
    return [p["receipt_number"] for p in regular_gift(client, gift_id)["payments"]]


# --- starting a monthly gift ----------------------------------------------------------------


def test_monthly_gift_paid_with_4242_is_active_with_its_first_receipt(demo, webhooks, client,
                                                                       stripe_api):
    gift = paid_monthly(webhooks.url)

    assert gift["frequency"] == "monthly"
    assert gift["status"] == "pending" and gift["amount"] == "25.00"
    shown = regular_gift(client, gift["regular_gift"])
    assert shown["status"] == "active"
    assert [p["id"] for p in shown["payments"]] == [gift["id"]]
    assert shown["payments"][0]["status"] == "succeeded"
    assert shown["payments"][0]["receipt_number"]
    # The first month's PaymentIntent names the Customer whose subscription collects the
    # months after, and that subscription is active at Stripe.
    first = RegularGift.objects.get(pk=gift["regular_gift"])
    payment_intent = gift["client_secret"].split("_secret_")[0]
    assert stripe_api.v1.payment_intents.retrieve(payment_intent).customer == first.stripe_customer
    assert stripe_api.v1.subscriptions.retrieve(first.stripe_subscription).status == "active"
    # Once the stand-in's invoice.payment_succeeded has come, nothing more changed.
    eventually(lambda: standin_events(settings.STRIPE_API_BASE,
                                      "invoice.payment_succeeded",
                                      Donation.objects.get(pk=gift["id"]).stripe_invoice),
               timeout=10, what="the first invoice's event")
    time.sleep(1.5)
    assert receipt_numbers(client, gift["regular_gift"]) == [shown["payments"][0]["receipt_number"]]
    assert Receipt.objects.count() == 1


def test_a_declined_first_card_then_another_starts_the_gift_with_one_first_month(
        demo, webhooks, client, stripe_api):
    gift = start_monthly(webhooks.url)

    declined = give_card(webhooks.url, gift["id"], CARD_DECLINED)
    assert declined.status_code == 402
    assert regular_gift(client, gift["regular_gift"])["status"] == "incomplete"
    paid = give_card(webhooks.url, gift["id"], CARD_OK)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text

    shown = regular_gift(client, gift["regular_gift"])
    assert shown["status"] == "active"
    assert [p["id"] for p in shown["payments"]] == [gift["id"]]
    # The card that paid the first month pays the months after.
    customer = RegularGift.objects.get(pk=gift["regular_gift"]).stripe_customer
    default = stripe_api.v1.customers.retrieve(customer).invoice_settings.default_payment_method
    assert stripe_api.v1.payment_methods.retrieve(default).card.last4 == "4242"
    time.sleep(2)  # the stand-in's invoice.payment_failed for the declined card came meanwhile
    assert regular_gift(client, gift["regular_gift"])["status"] == "active"


def test_a_one_off_gift_says_nothing_of_a_regular_gift(demo, live_server):
    created = create_donation(live_server.url)
    assert created.status_code == 201
    assert "regular_gift" not in created.json()
    assert RegularGift.objects.count() == 0


@pytest.mark.parametrize("frequency", ["weekly", "", None, 12, ["monthly"]])
def test_a_frequency_other_than_once_or_monthly_is_a_400_and_nothing_at_stripe(
        demo, live_server, standin, frequency):
    created = create_donation(live_server.url, frequency=frequency)

    assert created.status_code == 400, created.text
    assert "frequency" in created.json()
    assert Donation.objects.count() == 0 and RegularGift.objects.count() == 0
    customers = requests.get(f"{standin}/v1/customers",
                             headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=10)
    assert customers.json()["data"] == []


def test_a_retried_monthly_request_with_the_same_key_starts_one_gift(demo, live_server):
    key = str(uuid.uuid4())
    first = create_donation(live_server.url, key=key, frequency="monthly")
    again = create_donation(live_server.url, key=key, frequency="monthly")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert RegularGift.objects.count() == 1 and Donation.objects.count() == 1


# --- the months after -----------------------------------------------------------------------


def test_a_second_month_is_a_donation_with_its_own_receipt_once_however_often_reported(
        demo, webhooks, client, stripe_api):
    gift = paid_monthly(webhooks.url, gift_aid=True, address_line1="1 Flood Street",
                        postcode="sw1a1aa")
    invoice = next_month_at_stripe(stripe_api, gift["regular_gift"])

    payments = eventually(
        lambda: (lambda p: p if len(p) == 2 else None)(
            regular_gift(client, gift["regular_gift"])["payments"]),
        timeout=15, what="the second month as a payment")
    assert payments[0]["id"] == gift["id"]
    assert payments[1]["status"] == "succeeded" and payments[1]["amount"] == "25.00"
    first_receipt, second_receipt = payments[0]["receipt_number"], payments[1]["receipt_number"]
    assert second_receipt and second_receipt != first_receipt
    month = Donation.objects.get(pk=payments[1]["id"])
    assert month.stripe_invoice == invoice["id"] and month.frequency == "monthly"
    # Gift Aid where declared: the month carries the donor's declaration.
    assert month.gift_aid and month.declaration.postcode == "SW1A 1AA"

    # The same event delivered again, and real Stripe's invoice.paid for the same invoice:
    # still two months, two receipts.
    (sent,) = standin_events(settings.STRIPE_API_BASE, "invoice.payment_succeeded", invoice["id"])
    assert deliver(client, sent).status_code == 200
    paid_too = stripe_event("invoice.paid", {**example("invoice"), **{
        key: sent["data"]["object"][key] for key in ("id", "customer", "amount_paid", "currency")},
        "status": "paid", "subscription": None,
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"metadata": None,
                                            "subscription": sent["data"]["object"]["subscription"]}}})
    assert deliver(client, paid_too).status_code == 200

    assert receipt_numbers(client, gift["regular_gift"]) == [first_receipt, second_receipt]
    assert Donation.objects.filter(regular_gift_id=gift["regular_gift"]).count() == 2
    assert Receipt.objects.count() == 2
    appeal = client.get("/api/v1/appeals/emergency-appeal/").json()
    assert appeal["raised_amount"] == "50.00"


def test_a_failed_month_makes_the_gift_past_due_and_a_paid_month_active_again(
        demo, webhooks, client, stripe_api, standin):
    gift = paid_monthly(webhooks.url)

    month_declined_at_stripe(stripe_api, standin, gift["regular_gift"])
    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "past_due",
               timeout=15, what="past due after the declined month")
    assert len(regular_gift(client, gift["regular_gift"])["payments"]) == 1  # not a payment

    first = RegularGift.objects.get(pk=gift["regular_gift"])
    card_of_customer(stripe_api, first.stripe_customer, CARD_OK)
    next_month_at_stripe(stripe_api, gift["regular_gift"])
    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "active",
               timeout=15, what="active again after a paid month")
    payments = regular_gift(client, gift["regular_gift"])["payments"]
    assert [p["status"] for p in payments] == ["succeeded", "succeeded"]


def test_a_subscription_canceled_at_stripe_cancels_the_gift_and_stays_canceled(
        demo, webhooks, client, stripe_api):
    gift = paid_monthly(webhooks.url)
    subscription = RegularGift.objects.get(pk=gift["regular_gift"]).stripe_subscription

    stripe_api.v1.subscriptions.cancel(subscription)
    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "canceled",
               timeout=15, what="canceled after the subscription's deletion")
    assert RegularGift.objects.get(pk=gift["regular_gift"]).canceled_at is not None

    # An older "updated" event arriving late (still active in its snapshot) changes nothing.
    late = example("subscription")
    late.update(id=subscription, status="active", customer=RegularGift.objects.get(
        pk=gift["regular_gift"]).stripe_customer)
    assert deliver(client, stripe_event("customer.subscription.updated", late)).status_code == 200
    assert regular_gift(client, gift["regular_gift"])["status"] == "canceled"


# --- reading a monthly gift -----------------------------------------------------------------


def test_a_regular_gift_answers_its_status_amount_and_months_privately(demo, live_server,
                                                                        client):
    gift = start_monthly(live_server.url, designation="water")

    answer = client.get(f"/api/v1/regular-gifts/{gift['regular_gift']}/")

    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"] and "private" in answer["Cache-Control"]
    assert answer.json() == {
        "id": gift["regular_gift"], "status": "incomplete", "amount": "25.00",
        "currency": "GBP", "appeal": "emergency-appeal", "designation": "water",
        "payments": [],  # the first month is not paid yet
    }
    assert client.get(f"/api/v1/regular-gifts/{uuid.uuid4()}/").status_code == 404


def test_exports_name_the_frequency_and_the_regular_gift(demo, live_server, client,
                                                         django_user_model):
    gift = paid_monthly(live_server.url)
    one_off = create_donation(live_server.url).json()
    assert give_card(live_server.url, one_off["id"], CARD_OK).json()["status"] == "succeeded"
    admin = django_user_model.objects.create_superuser("root", "root@lifeline.invalid", "pw")
    client.force_login(admin)

    rows = client.get("/api/v1/finance/receipts/").json()["results"]
    by_id = {row["donation_id"]: row for row in rows}
    assert by_id[gift["id"]]["frequency"] == "monthly"
    assert by_id[gift["id"]]["regular_gift_id"] == gift["regular_gift"]
    assert by_id[one_off["id"]]["frequency"] == "once"
    assert by_id[one_off["id"]]["regular_gift_id"] is None

    csv_text = b"".join(client.get("/finance/exports/receipts.csv").streaming_content).decode()
    lines = {line.split(",")[2]: line for line in csv_text.splitlines()[1:]}
    assert lines[gift["id"]].endswith(f",monthly,{gift['regular_gift']}")
    assert lines[one_off["id"]].endswith(",once,")
    assert json.dumps(rows)  # the JSON list is plain JSON


# --- what it costs at Stripe ----------------------------------------------------------------


def test_a_monthly_gifts_first_month_costs_three_stripe_calls_webhooks_included(
        demo, standin, stripe_calls, webhooks):
    """Customer, Subscription (its first invoice's PaymentIntent expanded), the confirm; the
    first time a process meets the currency, the Product is looked up and made (two more).
    The stand-in's invoice.payment_succeeded and payment_intent.succeeded for that month
    find it applied in full: no read."""
    from donations.models import StripeEvent
    from gateways import stripe as stripe_gateway
    from tests.helpers import confirmation_token

    stripe_gateway.monthly_product.cache_clear()
    base = webhooks.url
    gift = start_monthly(base)
    token = confirmation_token(CARD_OK, standin)  # the browser, straight to Stripe
    paid = requests.post(f"{base}/api/v1/donations/{gift['id']}/pay/",
                         json={"confirmation_token": token}, timeout=30)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    eventually(lambda: StripeEvent.objects.filter(type="invoice.payment_succeeded").exists(),
               timeout=30, what="the first invoice's webhook")
    eventually(lambda: StripeEvent.objects.filter(type="payment_intent.succeeded").exists(),
               timeout=30, what="the payment's webhook")
    payment_intent = gift["client_secret"].split("_secret_")[0]
    assert stripe_calls.seen == [
        ("GET", "/v1/products/lifeline_monthly_gift_gbp"),
        ("POST", "/v1/products"),
        ("POST", "/v1/customers"),
        ("POST", "/v1/subscriptions"),
        ("POST", f"/v1/payment_intents/{payment_intent}/confirm"),
    ]
    assert RegularGift.objects.get().status == "active"


def test_monthly_gifts_in_bulk_from_one_address_are_refused_before_stripe(client, demo,
                                                                          stripe_calls):
    from gateways import stripe as stripe_gateway

    stripe_gateway.monthly_product.cache_clear()  # the stand-in was emptied for this test

    def monthly(i):
        return client.post("/api/v1/donations/", {
            "appeal": "emergency-appeal", "amount": "5.00", "currency": "GBP",
            "email": f"m{i}@example.com", "frequency": "monthly"},
            content_type="application/json", REMOTE_ADDR="198.51.100.23")

    for i in range(30):  # DEFENCE_CREATES_PER_CLIENT's default
        assert monthly(i).status_code == 201
    refused = monthly(30)

    assert refused.status_code == 429
    assert stripe_calls.count("POST", "/v1/subscriptions") == 30  # none for the refusal
    assert RegularGift.objects.count() == 30


def test_erasing_a_monthly_donor_erases_the_details_kept_for_the_months_to_come(
        demo, webhooks, client, stripe_api):
    from donations.services.personal_data import donor_data_erase, donor_data_export

    gift = paid_monthly(webhooks.url)
    exported = donor_data_export(email="DONOR@example.com")
    assert [g["id"] for g in exported["regular_gifts"]] == [gift["regular_gift"]]

    erased = donor_data_erase(email="donor@example.com", message="Donor asked.")

    assert erased.regular_gifts == 1
    kept = RegularGift.objects.get(pk=gift["regular_gift"])
    assert kept.email.endswith("@erased.invalid") and not kept.first_name and not kept.last_name
    # A month collected afterwards does not bring the donor's address back.
    next_month_at_stripe(stripe_api, gift["regular_gift"])
    eventually(lambda: Donation.objects.filter(regular_gift_id=kept.pk).count() == 2,
               timeout=15, what="the next month")
    assert not Donation.objects.filter(email__iexact="donor@example.com").exists()


@pytest.mark.parametrize("field, value", [
    ("customer", 5), ("amount_paid", "lots"), ("subscription", "sub with spaces"),
    ("parent", ["not", "an", "object"]), ("payment_intent", {"id": None}),
])
def test_a_signed_invoice_event_not_shaped_as_stripes_is_refused_and_stores_nothing(
        client, demo, field, value):
    from donations.models import StripeEvent

    bad = {**example("invoice"), "id": "in_1bad", "subscription": "sub_1x", field: value}
    answer = deliver(client, stripe_event("invoice.paid", bad))

    assert answer.status_code == 400
    assert StripeEvent.objects.count() == 0
