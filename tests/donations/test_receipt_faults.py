"""Receipts when things go wrong, through the real parts: the Stripe stand-in, a `celery
worker` process, an SMTP server (aiosmtpd), PostgreSQL and Redis in CI.

Whatever happens to webhooks, workers and the mail server, a paid gift gets one receipt,
one email, and a number that follows the last one with no gap.
"""

import json
import time
from datetime import UTC, datetime

import pytest
import requests
import stripe
from django.core.management import call_command
from django.db import connection, transaction

from donations.models import Donation, DonationEvent, Receipt
from donations.receipts import numbering, sweeper
from donations.services import stripe_events
from tests.conftest import Worker
from tests.donations.test_webhooks import WEBHOOK_URL, signature, standin_events
from tests.factories import DonationFactory
from tests.helpers import create_donation, eventually, fire_at_once, give_card

pytestmark = pytest.mark.django_db(transaction=True)

CARD_OK = "4242424242424242"
QUIET = 3.0  # seconds to keep listening after the one email, for a second that must not come


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def stripe_api(standin):
    """The stand-in through the official SDK, as if the donor's browser paid Stripe directly."""
    return stripe.StripeClient("sk_test_x", base_addresses={"api": standin})


def pending_gift(base_url: str, **fields) -> dict:
    created = create_donation(base_url, **fields)
    assert created.status_code == 201, created.text
    body = created.json()
    return {"id": body["id"], "payment_intent": body["client_secret"].split("_secret_")[0]}


def pay_at_stripe(stripe_api, payment_intent: str) -> None:
    """The PaymentIntent paid at Stripe; our server is told nothing (webhooks are muted)."""
    pm = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": CARD_OK, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_api.v1.payment_intents.update(payment_intent, params={"payment_method": pm.id})
    paid = stripe_api.v1.payment_intents.confirm(payment_intent)
    assert paid.status == "succeeded"


def one_email_and_no_more(inbox, timeout: float = 30.0) -> object:
    """The first email within the deadline; then QUIET seconds in which no second arrives."""
    eventually(lambda: inbox.messages, timeout=timeout, what="the receipt email")
    time.sleep(QUIET)
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    return inbox.messages[0]


# --- duplicates and races ----------------------------------------------------------------


def test_success_delivered_twice_while_donor_returns_sends_one_receipt_email(
    demo, live_server, inbox, worker, stripe_api, standin
):
    gift = pending_gift(live_server.url)
    pay_at_stripe(stripe_api, gift["payment_intent"])
    [succeeded] = eventually(
        lambda: standin_events(standin, "payment_intent.succeeded", gift["payment_intent"]),
        timeout=10, what="the stand-in's payment_intent.succeeded",
    )
    payload = json.dumps(succeeded)

    def deliver():
        return requests.post(
            live_server.url + WEBHOOK_URL, data=payload, timeout=60,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature(payload)},
        )

    def donor_returns():
        return requests.get(f"{live_server.url}/donations/{gift['id']}/thanks/", timeout=60)

    first, second, thanks = fire_at_once(deliver, deliver, donor_returns)

    assert (first.status_code, second.status_code, thanks.status_code) == (200, 200, 200)
    assert sorted([first.text, second.text]) == ["applied", "duplicate"]
    receipt = Receipt.objects.get()
    assert str(receipt.donation_id) == gift["id"]
    assert receipt.number in thanks.text
    message = one_email_and_no_more(inbox)
    assert receipt.number in message["Subject"]
    assert message["To"] == "donor@example.com"


# --- the mail server and the worker fail -------------------------------------------------


def test_mail_server_down_when_receipt_is_due_still_emails_it_once_when_back(
    demo, live_server, inbox, worker
):
    inbox.stop()
    gift = pending_gift(live_server.url)
    paid = give_card(live_server.url, gift["id"], CARD_OK)
    assert paid.json()["status"] == "succeeded", paid.text

    def failed_attempt():
        receipt = Receipt.objects.get()
        return receipt if receipt.email_last_error else None

    while_down = eventually(failed_attempt, timeout=30, what="a failed send recorded")
    assert while_down.email_sent_at is None
    assert while_down.email_attempts >= 1
    assert "refused" in while_down.email_last_error.lower() or "Error" in \
        while_down.email_last_error
    assert inbox.messages == []

    inbox.start()  # the same port: the worker's retries find it again
    message = one_email_and_no_more(inbox, timeout=45)
    receipt = Receipt.objects.get()
    assert receipt.number in message["Subject"]
    assert receipt.email_sent_at is not None
    assert receipt.email_attempts > 1
    assert receipt.email_last_error == ""


def test_worker_killed_mid_send_emails_the_receipt_once_after_restart(
    demo, live_server, inbox, worker_env
):
    inbox.delay_mail_from = 4.0  # the worker will be stuck talking to the mail server
    crashed = Worker(worker_env).start()
    restarted = None
    try:
        gift = pending_gift(live_server.url)
        paid = give_card(live_server.url, gift["id"], CARD_OK)
        assert paid.json()["status"] == "succeeded", paid.text
        assert inbox.wait_for_mail_from(1, timeout=30), "the worker never reached the server"

        crashed.kill()
        assert inbox.messages == []  # stalled at MAIL FROM: nothing was accepted
        receipt = Receipt.objects.get()
        assert receipt.email_sent_at is None

        inbox.delay_mail_from = 0.0
        started = time.monotonic()
        restarted = Worker(worker_env).start()
        # Well within Redis's visibility timeout (an hour): the new worker's start-up
        # sweep finds the unsent receipt rather than waiting for the lost message.
        message = one_email_and_no_more(inbox, timeout=30)
        assert time.monotonic() - started < 30 + 2 * QUIET
        assert receipt.number in message["Subject"]
        receipt.refresh_from_db()
        assert receipt.email_sent_at is not None
    finally:
        crashed.kill()
        if restarted is not None:
            restarted.stop()


# --- webhooks that never come ------------------------------------------------------------


def test_payment_whose_webhook_never_came_is_receipted_by_reconcile(
    demo, live_server, inbox, worker, stripe_api
):
    gift = pending_gift(live_server.url, email="quiet@example.com")
    pay_at_stripe(stripe_api, gift["payment_intent"])  # webhooks are muted: nobody tells us
    assert Donation.objects.get(pk=gift["id"]).status == Donation.Status.PENDING

    call_command("reconcile_stripe", "--older-than", "0", verbosity=0)

    donation = Donation.objects.get(pk=gift["id"])
    assert donation.status == Donation.Status.SUCCEEDED
    receipt = Receipt.objects.get(donation=donation)
    message = one_email_and_no_more(inbox)
    assert message["To"] == "quiet@example.com"
    assert receipt.number in message["Subject"]


# --- numbering ---------------------------------------------------------------------------


def test_fifty_gifts_succeeding_at_once_get_receipt_numbers_one_to_fifty(
    demo, live_server, stripe_api, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    # Fifty new gifts from one address: past the card-testing defence's 30 in 10 minutes.
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "creates_per_client": "100/10m"}
    # Given and paid one by one (the test server's listen backlog is small); what happens at
    # once is our side learning of the fifty successes.
    gifts = [pending_gift(live_server.url, email=f"donor{i}@example.com") for i in range(50)]
    for g in gifts:
        pay_at_stripe(stripe_api, g["payment_intent"])

    fire_at_once(*[
        (lambda g=g: stripe_events.donation_sync(donation_id=g["id"],
                                            source=DonationEvent.Source.RECONCILE))
        for g in gifts
    ])

    receipts = list(Receipt.objects.order_by("sequence"))
    assert len(receipts) == 50
    assert {str(r.donation_id) for r in receipts} == {g["id"] for g in gifts}
    assert [r.sequence for r in receipts] == list(range(1, 51))
    assert len({r.number for r in receipts}) == 50
    year = receipts[0].year
    assert [r.number for r in receipts] == [
        f"{settings.RECEIPT_PREFIX}-{year}-{n:06d}" for n in range(1, 51)
    ]


def succeeded_gift(succeeded_at: datetime | None = None) -> Donation:
    return DonationFactory(succeeded_at=succeeded_at or datetime(2026, 6, 1, 12, tzinfo=UTC))


def issue(donation: Donation) -> Receipt:
    with transaction.atomic():
        return numbering.receipt_issue(donation=Donation.objects.select_for_update().get(
            pk=donation.pk))


def test_receipt_rolled_back_with_its_transaction_leaves_no_gap_in_numbers(settings):
    first = issue(succeeded_gift())

    class PaymentRecordingFailed(Exception):
        pass

    rolled_back = succeeded_gift()
    with pytest.raises(PaymentRecordingFailed):
        with transaction.atomic():
            doomed = numbering.receipt_issue(
                donation=Donation.objects.select_for_update().get(pk=rolled_back.pk)
            )
            assert doomed.sequence == 2
            raise PaymentRecordingFailed
    assert not Receipt.objects.filter(donation=rolled_back).exists()

    second = issue(succeeded_gift())
    assert (first.number, second.number) == (
        f"{settings.RECEIPT_PREFIX}-2026-000001", f"{settings.RECEIPT_PREFIX}-2026-000002",
    )


@pytest.mark.parametrize(
    ("time_zone", "succeeded_at", "year"),
    [
        # Already New Year's Day in Tokyo, still New Year's Eve in UTC.
        ("Asia/Tokyo", datetime(2026, 12, 31, 20, 0, tzinfo=UTC), 2027),
        # Already New Year's Day in UTC, still New Year's Eve in New York.
        ("America/New_York", datetime(2027, 1, 1, 3, 0, tzinfo=UTC), 2026),
        # London keeps UTC's year in winter.
        ("Europe/London", datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 2026),
    ],
)
def test_receipt_year_is_the_charitys_local_year(settings, time_zone, succeeded_at, year):
    settings.TIME_ZONE = time_zone
    receipt = issue(succeeded_gift(succeeded_at))
    assert receipt.year == year
    assert receipt.number == f"{settings.RECEIPT_PREFIX}-{year}-000001"


def test_mail_server_down_for_many_sweeps_each_receipt_keeps_one_retry_chain(
    demo, live_server, inbox, worker
):
    """The sweeper (every minute in production, every half second here) starts a new chain
    only for a receipt whose chain died; during an outage the chains are alive, backing off."""
    inbox.stop()  # nothing listens: every attempt is refused at once
    for i in range(3):
        gift = pending_gift(live_server.url, email=f"donor{i}@example.com")
        paid = give_card(live_server.url, gift["id"], CARD_OK)
        assert paid.json()["status"] == "succeeded", paid.text
    eventually(lambda: all(r.email_attempts for r in Receipt.objects.all()), timeout=30,
               what="a failed attempt for every receipt")

    # A chain counts as dead once its next attempt is 10 s overdue (120 s in production): a
    # worker starved of CPU (two suites on two cores) has fired an attempt 5 s late. A
    # sweeper that ignored the chains would restart all three, queued 15 s ago and more.
    restarted = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        restarted += sweeper.receipt_sweep_unsent(older_than_seconds=10)
        time.sleep(0.5)

    attempts = sorted(Receipt.objects.values_list("email_attempts", flat=True))
    assert restarted == 0, f"the sweeper started {restarted} new chains; attempts {attempts}"
    # One chain makes at most max_retries + 1 attempts.
    assert all(n <= 21 for n in attempts), attempts

    inbox.start()
    eventually(lambda: len(inbox.messages) >= 3, timeout=120, what="the three receipts")
    time.sleep(QUIET)
    assert sorted(m["To"] for m in inbox.messages) == [f"donor{i}@example.com" for i in range(3)]
