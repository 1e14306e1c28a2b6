"""Refunds from the admin, through the real Stripe stand-in: money, states, totals, receipts."""

import pytest
import stripe
from django.urls import reverse

from appeals.models import Appeal
from donations.models import Donation, DonationEvent, Receipt, Refund
from tests.helpers import appeal_totals, eventually

pytestmark = pytest.mark.django_db(transaction=True)
S = Donation.Status


@pytest.fixture
def stripe_api(standin):
    return stripe.StripeClient("sk_test_x", base_addresses={"api": standin})


def refund_url(donation_id):
    return reverse("admin:donations_donation_refund", args=[donation_id])


def form_key(client, donation_id) -> str:
    page = client.get(refund_url(donation_id))
    assert page.status_code == 200
    return page.context["form"]["request_key"].value()


def refund(client, donation_id, amount, reason="", key=None):
    key = key or form_key(client, donation_id)
    return client.post(refund_url(donation_id),
                       {"amount": amount, "reason": reason, "request_key": key})


def charged_and_refunded_at_stripe(stripe_api, donation_id):
    donation = Donation.objects.get(pk=donation_id)
    charge = stripe_api.v1.charges.retrieve(donation.stripe_charge)
    return charge.amount, charge.amount_refunded


def test_partial_then_full_refund_moves_money_state_totals_and_the_receipt_record(
    client, appeal_admin, paid_gift, stripe_api
):
    client.force_login(appeal_admin)
    appeal = Appeal.objects.get(slug="emergency-appeal")
    assert appeal_totals(appeal).raised == 2500
    number = Receipt.objects.get(donation_id=paid_gift).number

    answer = refund(client, paid_gift, "10.00", reason="Donor gave twice by mistake")

    assert answer.status_code == 302
    donation = Donation.objects.get(pk=paid_gift)
    assert (donation.status, donation.refunded_amount) == (S.PARTIALLY_REFUNDED, 1000)
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 1000)
    assert appeal_totals(appeal).raised == 1500
    api = client.get("/api/v1/appeals/emergency-appeal/").json()
    assert (api["raised_amount"], api["donor_count"]) == ("15.00", 1)
    ledger = client.get(reverse("admin:donations_receipt_changelist"), {"q": number})
    assert b"partially refunded" in ledger.content

    answer = refund(client, paid_gift, "15.00")

    assert answer.status_code == 302
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == (S.REFUNDED, 2500)
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 2500)
    api = client.get("/api/v1/appeals/emergency-appeal/").json()
    assert (api["raised_amount"], api["donor_count"]) == ("0.00", 0)
    assert Receipt.objects.get(donation_id=paid_gift).number == number  # never a new one
    refunds = list(Refund.objects.filter(donation=donation).values_list("amount", "actor__username",
                                                                         "reason"))
    assert refunds == [(1000, "amira", "Donor gave twice by mistake"), (1500, "amira", "")]
    history = list(donation.events.filter(kind="status").values_list("to_status", "source"))
    assert history[-2:] == [(S.PARTIALLY_REFUNDED, "admin"), (S.REFUNDED, "admin")]
    page = client.get(reverse("admin:donations_donation_change", args=[paid_gift]))
    assert b"Refund\xe2\x80\xa6" not in page.content  # nothing left: no refund link


def test_refund_amount_is_read_as_people_write_it(client, appeal_admin, paid_gift, stripe_api):
    client.force_login(appeal_admin)
    assert refund(client, paid_gift, "10.50").status_code == 302
    assert refund(client, paid_gift, "£4.50").status_code == 302
    assert Donation.objects.get(pk=paid_gift).refunded_amount == 1500
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 1500)


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("25.01", "At most £25.00 is left to refund."),
        ("0", "Enter an amount greater than zero."),
        ("-5.00", "Enter an amount greater than zero."),
        ("1.005", "GBP amounts have at most 2 decimal places."),
        ("ten", "Enter an amount, like 25.00."),
        ("1e1", "Enter an amount, like 25.00."),  # Decimal() read it as 10: refunded £10
        ("９", "digits 0-9"),  # a full-width nine: refunded £9
        ("-5", "Enter an amount greater than zero"),
        ("10.555", "GBP amounts have at most 2 decimal places."),
        ("10,50", "only between thousands, as in 1,250.00."),
    ],
)
def test_bad_refund_amount_is_refused_and_nothing_reaches_stripe(
    client, appeal_admin, paid_gift, stripe_api, amount, error
):
    client.force_login(appeal_admin)
    answer = refund(client, paid_gift, amount)
    assert answer.status_code == 200
    assert error in answer.content.decode()
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 0)
    assert not Refund.objects.exists()
    assert Donation.objects.get(pk=paid_gift).status == S.SUCCEEDED


def test_double_submitted_refund_form_refunds_once(client, appeal_admin, paid_gift, stripe_api):
    client.force_login(appeal_admin)
    key = form_key(client, paid_gift)
    first = refund(client, paid_gift, "5.00", key=key)
    second = refund(client, paid_gift, "5.00", key=key)
    assert (first.status_code, second.status_code) == (302, 302)
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 500)
    assert Refund.objects.count() == 1
    assert Donation.objects.get(pk=paid_gift).refunded_amount == 500


def test_staff_without_the_refund_permission_cannot_refund_even_by_crafting_a_post(
    client, viewer, paid_gift, stripe_api
):
    client.force_login(viewer)
    page = client.get(reverse("admin:donations_donation_change", args=[paid_gift]))
    assert page.status_code == 200
    assert b"Refund\xe2\x80\xa6" not in page.content
    assert client.get(refund_url(paid_gift)).status_code == 403
    crafted = client.post(refund_url(paid_gift),
                          {"amount": "25.00", "reason": "", "request_key": "x" * 32})
    assert crafted.status_code == 403
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 0)
    assert Donation.objects.get(pk=paid_gift).status == S.SUCCEEDED


def test_a_pending_gift_cannot_be_refunded(client, appeal_admin, demo, live_server, stripe_api):
    from tests.helpers import create_donation

    client.force_login(appeal_admin)
    pending = create_donation(live_server.url).json()["id"]
    answer = client.post(refund_url(pending), {"amount": "1.00", "request_key": "k" * 32})
    assert answer.status_code == 200
    assert "At most £0.00 is left to refund." in answer.content.decode()
    assert not Refund.objects.exists()


def test_stripe_down_during_refund_says_so_and_changes_nothing(
    client, appeal_admin, paid_gift, settings
):
    from gateways import stripe as stripe_gateway

    client.force_login(appeal_admin)
    key = form_key(client, paid_gift)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    stripe_gateway.client.cache_clear()
    try:
        answer = refund(client, paid_gift, "5.00", key=key)
    finally:
        stripe_gateway.client.cache_clear()
    assert answer.status_code == 200
    assert "Stripe could not be reached: nothing was refunded" in answer.content.decode()
    donation = Donation.objects.get(pk=paid_gift)
    assert (donation.status, donation.refunded_amount) == (S.SUCCEEDED, 0)
    assert not DonationEvent.objects.filter(donation=donation, kind__startswith="refund").exists()


def test_resend_receipt_emails_the_same_number_again(client, appeal_admin, paid_gift, inbox,
                                                     worker):
    client.force_login(appeal_admin)
    receipt = Receipt.objects.get(donation_id=paid_gift)
    first = inbox.wait_for(1)
    assert receipt.number in first[0]["Subject"]

    answer = client.post(reverse("admin:donations_donation_resend_receipt", args=[paid_gift]))

    assert answer.status_code == 302
    messages = inbox.wait_for(2)
    assert len(messages) == 2
    assert receipt.number in messages[1]["Subject"]
    assert messages[1]["Message-ID"] != messages[0]["Message-ID"]  # a resend is new mail
    assert Receipt.objects.count() == 1
    # The worker records the resend just after the SMTP server took the email.
    eventually(lambda: DonationEvent.objects.filter(
        donation_id=paid_gift, kind="receipt_resent", actor=appeal_admin).exists(),
        timeout=10, what="the resend in the donation's history")


def test_staff_without_the_resend_permission_cannot_resend(client, viewer, paid_gift):
    client.force_login(viewer)
    answer = client.post(reverse("admin:donations_donation_resend_receipt", args=[paid_gift]))
    assert answer.status_code == 403


# --- Stripe's figure first; no lock across the Stripe call ------------------------------


def test_refund_made_at_stripe_counts_before_the_admin_refunds_and_only_the_rest_is_left(
    client, appeal_admin, paid_gift, stripe_api
):
    client.force_login(appeal_admin)
    donation = Donation.objects.get(pk=paid_gift)
    stripe_api.v1.refunds.create(params={"payment_intent": donation.stripe_payment_intent,
                                         "amount": 2000})  # in Stripe's dashboard; no event

    page = client.get(refund_url(paid_gift))
    assert "£5.00" in page.content.decode()  # what is left, by Stripe's figure
    answer = refund(client, paid_gift, "10.00", key=page.context["form"]["request_key"].value())

    assert answer.status_code == 200
    assert "At most £5.00 is left to refund." in answer.content.decode()
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 2000)
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == (S.PARTIALLY_REFUNDED, 2000)
    assert appeal_totals(Appeal.objects.get(slug="emergency-appeal")).raised == 500

    assert refund(client, paid_gift, "5.00").status_code == 302

    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 2500)
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == (S.REFUNDED, 2500)
    assert sorted(Refund.objects.filter(donation=donation).values_list("amount", "status")) == [
        (500, "succeeded"), (2000, "succeeded")]


def test_a_refund_made_at_stripe_after_the_form_was_shown_still_limits_it(
    client, appeal_admin, paid_gift, stripe_api
):
    client.force_login(appeal_admin)
    key = form_key(client, paid_gift)  # the form said £25.00 is left
    donation = Donation.objects.get(pk=paid_gift)
    stripe_api.v1.refunds.create(params={"payment_intent": donation.stripe_payment_intent,
                                         "amount": 2000})

    answer = refund(client, paid_gift, "25.00", key=key)

    assert "At most £5.00 is left to refund." in answer.content.decode()
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 2000)


def _row_lock_free(donation_id) -> bool:
    """Could another connection take the donation's row lock (PostgreSQL) or the database's
    write lock (SQLite) right now, without waiting?"""
    from django.db import DatabaseError, connection, transaction

    if connection.vendor == "sqlite":
        import sqlite3

        raw = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.5)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.rollback()
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            raw.close()
    try:
        with transaction.atomic():
            list(Donation.objects.select_for_update(nowait=True).filter(pk=donation_id))
        return True
    except DatabaseError:
        return False
    finally:
        connection.close()


@pytest.fixture
def probing_stripe(standin):
    """The stand-in behind a forwarding proxy that, when a refund is asked of Stripe, first
    checks from another connection whether the gift is locked (what it found: `.found`)."""
    from tests.stripe_proxy import StripeProxy

    with StripeProxy(standin) as proxy, proxy.serving():
        proxy.found, proxy.donation_id = [], None

        def probe(method, path):
            if method == "POST" and path.startswith("/v1/refunds"):
                proxy.found.append(_row_lock_free(proxy.donation_id))

        proxy.on_request = probe
        yield proxy


def test_refund_holds_no_lock_on_the_gift_while_stripe_answers(
    client, appeal_admin, paid_gift, probing_stripe, stripe_api
):
    client.force_login(appeal_admin)
    probing_stripe.donation_id = paid_gift

    assert refund(client, paid_gift, "5.00").status_code == 302

    assert probing_stripe.found == [True]  # a donor's or a webhook's write would not wait
    assert charged_and_refunded_at_stripe(stripe_api, paid_gift) == (2500, 500)
    assert Donation.objects.get(pk=paid_gift).refunded_amount == 500
