"""No database lock is held while Stripe or the mail server is talked to.

Through the real parts: the live server, a `celery worker` process, the SMTP server
(aiosmtpd) stalled at MAIL FROM, and the Stripe stand-in behind a proxy that stalls or fails
chosen requests. On SQLite (`make run`'s default) a write transaction locks the whole
database, so a send or a charge stalled inside one made every donor wait for it (and answer
503 after 20 s). Each test checks that a donor's gift goes through *while* the stall is
still on: no timing thresholds.
"""

import threading

import pytest
import requests
import stripe
from django.db import connection

from donations.models import Donation, Receipt
from tests.conftest import Worker
from tests.donations.test_api_create import _succeeded_charges, standin_list
from tests.helpers import confirmation_token, create_donation, eventually, give_card
from tests.stripe_proxy import StripeProxy

pytestmark = pytest.mark.django_db(transaction=True)

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # attaches, then the charge is declined


def paid_gift(base_url: str, email: str) -> str:
    created = create_donation(base_url, email=email)
    assert created.status_code == 201, created.text
    paid = give_card(base_url, created.json()["id"], CARD_OK)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    return created.json()["id"]


@pytest.fixture
def patient_worker(worker_env):
    """A worker whose SMTP client waits two minutes for an answer: the stall below lasts as
    long as the test wants, not until the client's own timeout ends it."""
    w = Worker({**worker_env, "EMAIL_TIMEOUT": "120"}).start()
    yield w
    w.stop()


def test_donor_gives_while_a_receipt_email_is_stalled_at_the_mail_server(
    demo, live_server, inbox, patient_worker
):
    inbox.open.clear()  # every MAIL FROM waits until the test lets it go
    try:
        paid_gift(live_server.url, "first@example.com")
        assert inbox.wait_for_mail_from(1, timeout=60), "the worker never reached the server"

        # The receipt's sender is now stuck in its SMTP session. Another donor gives:
        second = create_donation(live_server.url, email="second@example.com")
        assert second.status_code == 201, second.text
        paid = give_card(live_server.url, second.json()["id"], CARD_OK)
        assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text

        assert not inbox.open.is_set() and inbox.messages == []  # the stall is still on
        first_receipt = Receipt.objects.get(donation__email="first@example.com")
        assert first_receipt.email_sent_at is None
        assert first_receipt.email_sending_until is not None  # held by the stalled sender
    finally:
        inbox.open.set()
    eventually(lambda: len(inbox.messages) == 2, timeout=60, what="both receipts emailed")
    assert sorted(m["To"] for m in inbox.messages) == ["first@example.com",
                                                       "second@example.com"]
    # The server has the message before the worker has its 250 and records the send.
    eventually(lambda: not Receipt.objects.filter(email_sent_at__isnull=True).exists(),
               timeout=60, what="both receipts recorded as emailed")


def test_donor_gives_while_another_donors_charge_is_stalled_at_stripe(
    demo, live_server, standin
):
    with StripeProxy(standin) as proxy, proxy.serving():
        stalled = create_donation(live_server.url, email="stalled@example.com").json()["id"]
        token = confirmation_token(CARD_OK)
        pi = Donation.objects.get(pk=stalled).stripe_payment_intent
        proxy.hold("POST", rf"^/v1/payment_intents/{pi}/confirm$")
        answers = {}

        def pay(name):
            answers[name] = requests.post(
                f"{live_server.url}/api/v1/donations/{stalled}/pay/",
                json={"confirmation_token": token}, timeout=120)

        click = threading.Thread(target=pay, args=("click",))
        click.start()
        eventually(lambda: proxy.held, timeout=30, what="the charge reaching Stripe")
        double_click = threading.Thread(target=pay, args=("double click",))
        double_click.start()

        # While that charge hangs at Stripe, another donor gives, start to finish.
        other = create_donation(live_server.url, email="other@example.com")
        assert other.status_code == 201, other.text
        other_card = give_card(live_server.url, other.json()["id"], CARD_OK)
        assert other_card.json()["status"] == "succeeded", other_card.text

        assert click.is_alive() and proxy.held == 1  # still stalled; the double click waits
        proxy.release()
        click.join(timeout=60)
        double_click.join(timeout=60)

    assert answers["click"].json()["status"] == "succeeded", answers["click"].text
    assert answers["double click"].status_code == 200, answers["double click"].text
    assert answers["double click"].json()["status"] == "succeeded"
    # One charge each: the stalled gift's (once, despite the double click) and the other's.
    assert sorted(c["payment_intent"] for c in _succeeded_charges(standin)) == sorted(
        Donation.objects.values_list("stripe_payment_intent", flat=True))
    assert Donation.objects.get(pk=stalled).status == "succeeded"


def test_donor_pressing_pay_again_after_the_database_dropped_a_charged_pay_is_told_succeeded(
    demo, live_server, standin
):
    """The pay request charges the card, then loses the database before it can write the
    success: the donor gets 503 and its payment claim stays in the row for up to
    PAYMENT_CLAIM_SECONDS. The donor presses again at once. Before: that press waited for the
    dead request's claim to lapse, then answered "pending" (tests/faults saw 4 gifts charged
    at Stripe and never succeeded here after a PostgreSQL restart). Now it is told
    "succeeded", from Stripe, and the gift is paid here with its receipt, charged once."""
    if connection.vendor != "postgresql":
        pytest.skip("drops the server's database connections: needs PostgreSQL")
    with StripeProxy(standin) as proxy, proxy.serving():
        donation_id = create_donation(live_server.url, email="again@example.com").json()["id"]
        token = confirmation_token(CARD_OK)
        proxy.hold("POST", r"^/v1/payment_intents/[^/]+/confirm$")
        answers = {}

        def pay():
            answers["first"] = requests.post(
                f"{live_server.url}/api/v1/donations/{donation_id}/pay/",
                json={"confirmation_token": token}, timeout=120)

        click = threading.Thread(target=pay)
        click.start()
        eventually(lambda: proxy.held, timeout=30, what="the charge reaching Stripe")
        with connection.cursor() as cursor:  # a restart, as the server's requests see it
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = current_database() AND pid <> pg_backend_pid()")
        proxy.release()  # Stripe charges the card; the request cannot record it
        click.join(timeout=60)
        assert answers["first"].status_code == 503, answers["first"].text
        assert Donation.objects.get(pk=donation_id).payment_claim_until is not None

        again = requests.post(f"{live_server.url}/api/v1/donations/{donation_id}/pay/",
                              json={"confirmation_token": confirmation_token(CARD_OK)},
                              timeout=120)

    assert again.status_code == 200 and again.json()["status"] == "succeeded", again.text
    donation = Donation.objects.get(pk=donation_id)
    assert donation.status == "succeeded"
    assert Receipt.objects.filter(donation=donation).count() == 1
    assert len(_succeeded_charges(standin)) == 1


def test_stripe_error_while_retrying_a_declined_cards_payment_intent_leaves_the_gift_payable(
    demo, webhooks, standin
):
    base = webhooks.url
    with StripeProxy(standin) as proxy, proxy.serving():
        donation_id = create_donation(base).json()["id"]
        declined = give_card(base, donation_id, CARD_DECLINED)
        assert declined.status_code == 402, declined.text
        first_pi = Donation.objects.get(pk=donation_id).stripe_payment_intent

        # The second card goes to the same PaymentIntent; Stripe answers its confirm with 500.
        proxy.fail("POST", r"^/v1/payment_intents/pi_\w+/confirm$")
        retry = give_card(base, donation_id, CARD_OK)
        assert retry.status_code == 503, retry.text
        proxy.heal()

        # Nothing (no webhook, no sync) can turn the gift into a canceled one: its
        # PaymentIntent still takes a card, and the donor still sees the failed gift.
        pi = stripe.StripeClient("sk_test_x", base_addresses={"api": standin}) \
            .v1.payment_intents.retrieve(first_pi)
        assert pi.status == "requires_payment_method"
        assert Donation.objects.get(pk=donation_id).status == "failed"

        again = give_card(base, donation_id, CARD_OK)
    assert again.status_code == 200 and again.json()["status"] == "succeeded", again.text
    donation = Donation.objects.get(pk=donation_id)
    assert donation.status == "succeeded"
    assert donation.stripe_payment_intent == first_pi  # the one PaymentIntent, paid at last
    assert len(_succeeded_charges(standin)) == 1
    assert not [pi["id"] for pi in standin_list(standin, "payment_intents")
                if pi["status"] == "canceled"]
