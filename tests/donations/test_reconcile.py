"""reconcile_stripe through the real parts: the stand-in via the SDK, the command, the Celery
task on a real worker. Books that a lost webhook must not leave wrong: refunds made in
Stripe's dashboard, the gift's date by Stripe's clock, abandoned gifts that expire."""

import csv
import dataclasses
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import stripe
from django.core.management import call_command
from django.utils import timezone

from appeals.models import Appeal
from donations.services import reconciliation, stripe_events
from donations.models import Donation, DonationEvent, Receipt, Refund
from gateways import stripe as stripe_gateway
from tests.helpers import appeal_totals, create_donation, eventually, give_card

pytestmark = pytest.mark.django_db(transaction=True)
S = Donation.Status
LONDON = ZoneInfo("Europe/London")
GIFT_AID = {"gift_aid": True, "address_line1": "12 High Street", "postcode": "S19 2BD"}


@pytest.fixture
def stripe_api(standin):
    return stripe.StripeClient("sk_test_x", base_addresses={"api": standin})


@pytest.fixture
def finance(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("fiona", "f@lifeline.invalid", "pw-f-12345",
                                                 is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    client.force_login(user)
    return client


def paid(base_url, **fields) -> Donation:
    created = create_donation(base_url, **fields)
    assert created.status_code == 201, created.text
    answer = give_card(base_url, created.json()["id"], "4242424242424242")
    assert answer.json()["status"] == "succeeded", answer.text
    return Donation.objects.get(pk=created.json()["id"])


def refund_at_stripe(stripe_api, donation: Donation, amount: int) -> None:
    """A refund made in Stripe's dashboard: nobody tells us (the stand-in sends no event)."""
    stripe_api.v1.refunds.create(params={"payment_intent": donation.stripe_payment_intent,
                                         "amount": amount})


def gift_aid_rows(finance) -> list[dict]:
    response = finance.get("/finance/exports/gift-aid.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def paid_at_stripe_unheard(live_server, stripe_api, **fields) -> stripe_gateway.PaymentIntentState:
    created = create_donation(live_server.url, **fields).json()
    pi = created["client_secret"].split("_secret_")[0]
    pm = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_api.v1.payment_intents.update(pi, params={"payment_method": pm.id})
    stripe_api.v1.payment_intents.confirm(pi)
    return stripe_gateway.payment_intent_retrieve(pi)


def reconcile_output(capsys, *args) -> str:
    call_command("reconcile_stripe", *args)
    return capsys.readouterr().out


# --- item: refunds made at Stripe reach the books ----------------------------------------


def test_refund_made_in_stripes_dashboard_reaches_the_books_at_the_next_reconcile(
    live_server, demo, stripe_api, finance, capsys
):
    gift = paid(live_server.url, **GIFT_AID)
    appeal = Appeal.objects.get(slug="emergency-appeal")
    assert appeal_totals(appeal).raised == 2500
    assert [r["amount"] for r in gift_aid_rows(finance)] == ["25.00"]

    refund_at_stripe(stripe_api, gift, 2000)
    out = reconcile_output(capsys)

    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (S.PARTIALLY_REFUNDED, 2000)
    assert "Refunds at Stripe: 1 seen, 1 gift(s) updated." in out
    assert appeal_totals(appeal).raised == 500
    assert [r["amount"] for r in gift_aid_rows(finance)] == ["5.00"]  # claimed net of it
    assert list(Refund.objects.filter(donation=gift).values_list("amount", "status")) == [
        (2000, "succeeded")]
    event = gift.events.get(kind="refund")
    assert (event.source, event.data) == (
        "reconcile", {"refunded_before": 0, "refunded_after": 2000})

    # The next run sees the same refund and changes nothing.
    out = reconcile_output(capsys)
    assert "1 seen, 0 gift(s) updated." in out
    assert gift.events.filter(kind="refund").count() == 1

    # Refunded in full at Stripe: out of raised and of the Gift Aid claim.
    refund_at_stripe(stripe_api, gift, 500)
    reconcile_output(capsys)
    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (S.REFUNDED, 2500)
    assert appeal_totals(appeal).raised == 0
    assert gift_aid_rows(finance) == []


def test_reconcile_task_on_a_real_worker_applies_a_dashboard_refund(
    live_server, demo, stripe_api, worker
):
    from donations.tasks import reconcile_stripe

    gift = paid(live_server.url)
    refund_at_stripe(stripe_api, gift, 2000)

    reconcile_stripe.delay(older_than_minutes=30)

    eventually(lambda: Donation.objects.get(pk=gift.pk).refunded_amount == 2000, timeout=30,
               what="the worker's reconciliation applying Stripe's refund")
    assert Donation.objects.get(pk=gift.pk).status == S.PARTIALLY_REFUNDED
    assert appeal_totals(Appeal.objects.get(slug="emergency-appeal")).raised == 500


def test_a_refund_stripe_made_before_we_heard_of_the_payment_is_applied_with_it(
    live_server, demo, stripe_api, capsys
):
    state = paid_at_stripe_unheard(live_server, stripe_api)  # webhooks muted: nobody tells us
    stripe_api.v1.refunds.create(params={"payment_intent": state.id, "amount": 1000})

    reconcile_output(capsys, "--older-than", "0")

    gift = Donation.objects.get(stripe_payment_intent=state.id)
    assert (gift.status, gift.refunded_amount) == (S.PARTIALLY_REFUNDED, 1000)
    assert Receipt.objects.filter(donation=gift).count() == 1



def test_a_refund_made_before_we_heard_of_the_payment_is_recorded_with_the_success(
    live_server, demo, stripe_api
):
    """Whatever brings the success in (the donor's return, a webhook, a reconcile), a refund
    Stripe already holds comes with it: the amount AND its record (tests/faults saw the
    amount right and no refund row when the success came in by a re-read)."""
    state = paid_at_stripe_unheard(live_server, stripe_api)
    stripe_api.v1.refunds.create(params={"payment_intent": state.id, "amount": 700})
    gift = Donation.objects.get(stripe_payment_intent=state.id)

    stripe_events.donation_sync(donation_id=gift.pk, source=DonationEvent.Source.BROWSER)

    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (S.PARTIALLY_REFUNDED, 700)
    assert list(Refund.objects.filter(donation=gift).values_list("amount", "status")) == [
        (700, "succeeded")]

# --- item: the gift's date is Stripe's charge time ---------------------------------------


def test_gift_charged_at_2345_on_new_years_eve_takes_that_years_receipt_and_date(
    live_server, demo, stripe_api, finance
):
    # The stand-in charges "now"; Stripe's clock said 23:45 on 31 December, and we hear of it
    # (a missed webhook, a reconciliation) only now, in a later year.
    state = paid_at_stripe_unheard(live_server, stripe_api, **GIFT_AID)
    assert state.charged_at is not None  # read from the charge
    charged = datetime(2025, 12, 31, 23, 45, tzinfo=LONDON)
    state = dataclasses.replace(state, charged_at=charged)

    stripe_events.donation_apply_payment_intent(payment_intent=state,
                                           source=DonationEvent.Source.RECONCILE)

    gift = Donation.objects.get(stripe_payment_intent=state.id)
    receipt = Receipt.objects.get(donation=gift)
    assert receipt.number == "LL-2025-000001"
    assert (gift.succeeded_at, receipt.issued_at) == (charged, charged)
    [row] = gift_aid_rows(finance)
    assert row["donation_date"] == "31/12/25"
    api = finance.get("/api/v1/finance/receipts/", {"from": "2025-12-31", "to": "2025-12-31"})
    assert [r["issued_at"] for r in api.json()["results"]] == ["2025-12-31T23:45:00+00:00"]


def test_gift_charged_late_on_5_april_is_in_that_tax_year(live_server, demo, stripe_api, finance):
    state = paid_at_stripe_unheard(live_server, stripe_api, **GIFT_AID)
    charged = datetime(2026, 4, 5, 23, 50, tzinfo=LONDON)  # 22:50 UTC, summer time
    stripe_events.donation_apply_payment_intent(payment_intent=dataclasses.replace(
        state, charged_at=charged), source=DonationEvent.Source.WEBHOOK)

    [row] = gift_aid_rows(finance)
    assert row["donation_date"] == "05/04/26"
    assert Receipt.objects.get().number == "LL-2026-000001"


def test_a_real_charge_dates_the_gift_by_stripes_clock(live_server, demo, stripe_api):
    state = paid_at_stripe_unheard(live_server, stripe_api)
    stripe_events.donation_apply_payment_intent(payment_intent=state,
                                           source=DonationEvent.Source.RECONCILE)
    gift = Donation.objects.get(stripe_payment_intent=state.id)
    charge = stripe_api.v1.charges.retrieve(gift.stripe_charge)
    assert gift.succeeded_at == datetime.fromtimestamp(charge.created, tz=ZoneInfo("UTC"))


# --- item: abandoned gifts expire --------------------------------------------------------


def untouched_for(donation_id, hours: float) -> None:
    """As if nobody had touched the gift for that long (the clock is not ours to move)."""
    Donation.objects.filter(pk=donation_id).update(
        updated_at=timezone.now() - timedelta(hours=hours))


def test_abandoned_gifts_are_canceled_at_stripe_and_here_then_never_read_again(
    live_server, demo, stripe_api, capsys
):
    left = create_donation(live_server.url).json()["id"]
    declined = create_donation(live_server.url).json()["id"]
    give_card(live_server.url, declined, "4000000000000341")
    recent = create_donation(live_server.url).json()["id"]
    assert Donation.objects.get(pk=declined).status == S.FAILED
    untouched_for(left, 25)
    untouched_for(declined, 25)
    untouched_for(recent, 23)

    out = reconcile_output(capsys, "--older-than", "0")

    assert "Expired 2 abandoned gift(s)." in out
    for pk in (left, declined):
        gift = Donation.objects.get(pk=pk)
        assert gift.status == S.CANCELED
        assert stripe_api.v1.payment_intents.retrieve(gift.stripe_payment_intent).status == \
            "canceled"
        event = gift.events.get(kind="status", to_status=S.CANCELED)
        assert event.source == "reconcile" and event.message.startswith("Expired")
    recent_gift = Donation.objects.get(pk=recent)
    assert recent_gift.status == S.PENDING
    assert stripe_api.v1.payment_intents.retrieve(
        recent_gift.stripe_payment_intent).status == "requires_payment_method"

    out = reconcile_output(capsys, "--older-than", "0")
    assert "Checked 1 pending donation(s)" in out  # the recent one only
    assert "Expired 0 abandoned gift(s)." in out


def test_an_abandoned_gift_that_was_paid_after_all_is_receipted_not_canceled(
    live_server, demo, stripe_api, capsys
):
    state = paid_at_stripe_unheard(live_server, stripe_api)
    gift = Donation.objects.get(stripe_payment_intent=state.id)
    untouched_for(gift.pk, 48)

    reconcile_output(capsys)

    gift.refresh_from_db()
    assert gift.status == S.SUCCEEDED
    assert Receipt.objects.filter(donation=gift).exists()


def test_pending_gifts_are_read_in_bounded_batches_in_turn(live_server, demo, settings):
    settings.RECONCILE_BATCH = 2
    ids = [create_donation(live_server.url).json()["id"] for _ in range(3)]
    assert len(ids) == 3

    runs = [reconciliation.reconcile(older_than_minutes=0)["checked"] for _ in range(3)]

    assert runs == [2, 1, 2]  # each run a batch at most; the third starts the round again
