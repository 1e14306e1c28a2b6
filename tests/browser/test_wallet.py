"""Wallets (Apple Pay, Google Pay) through Stripe's Express Checkout Element above the form, in
Debian's Chromium. The stand-in's fake Stripe.js offers its test wallet only when the page's
URL says `standin_wallet=` (1, or the test card the wallet pays with)."""

import re

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_accessibility import assert_no_violations
from tests.browser.test_donate import fill_card, open_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WALLET_EMAIL = "wanda.wallet@example.com"  # the stand-in's test wallet's person
PAYMENT_INTENTS = "/v1/payment_intents"


def test_without_a_wallet_the_express_checkout_stays_hidden(demo, live_server, desktop):
    open_appeal(desktop, live_server)
    # The payment fields are ready, so Stripe.js has run and said there is no wallet.
    expect(desktop.get_by_role("button", name=re.compile("Donate"))).to_be_enabled()
    express = desktop.locator("#express-checkout")
    expect(express).to_have_count(1)
    expect(express).to_be_hidden()
    expect(desktop.get_by_text("or pay by card below")).to_be_hidden()
    expect(desktop.get_by_role("button", name="Test wallet (stand-in)")).to_have_count(0)
    assert_no_violations(desktop)


def test_wallet_pays_the_chosen_amount_with_the_wallets_email_in_two_stripe_calls(
    demo, live_server, desktop, stripe_calls, webhooks
):
    """Nothing typed but the amount and where it goes: the wallet gives the email and name."""
    from donations.models import StripeEvent
    from tests.helpers import eventually

    open_appeal(desktop, live_server, "?standin_wallet=1")
    expect(desktop.get_by_text("or pay by card below")).to_be_visible()
    desktop.get_by_role("radio", name=re.compile(r"^£50\.00")).check()
    desktop.get_by_label("Where should it go?").select_option("water")
    assert_no_violations(desktop)  # the wallet's button and the divider shown
    desktop.get_by_role("button", name="Test wallet (stand-in)").click()

    expect(desktop).to_have_url(re.compile(r"/donations/[0-9a-f-]+/thanks/$"))
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("Thank you, Wanda")
    expect(desktop.get_by_test_id("gift")).to_have_text("£50.00")
    expect(desktop.get_by_test_id("status")).to_have_text("Succeeded")
    donation = Donation.objects.get()
    assert (donation.status, donation.email) == ("succeeded", WALLET_EMAIL)
    assert (donation.first_name, donation.last_name) == ("Wanda", "Wallet")
    assert donation.designation.code == "water" and donation.gift_amount == 5000
    eventually(lambda: StripeEvent.objects.filter(type="payment_intent.succeeded").exists(),
               timeout=30, what="the payment_intent.succeeded webhook")
    assert stripe_calls.seen == [("POST", PAYMENT_INTENTS),
                                 ("POST", f"{PAYMENT_INTENTS}/{donation.stripe_payment_intent}"
                                          "/confirm")]


def test_declined_wallet_says_so_and_the_donor_pays_by_card_on_the_same_gift(
    demo, live_server, desktop
):
    open_appeal(desktop, live_server, "?standin_wallet=4000000000000341")
    desktop.get_by_role("radio", name=re.compile(r"^£25\.00")).check()
    desktop.get_by_role("button", name="Test wallet (stand-in)").click()

    expect(desktop.locator("#err-card")).to_contain_text("declined")
    expect(desktop.locator("#err-card")).to_contain_text("Nothing was charged")
    assert Donation.objects.get().status == "failed"
    # The wallet's email and name are in the form now: only a card is needed.
    expect(desktop.get_by_label("Email (for your receipt)")).to_have_value(WALLET_EMAIL)
    expect(desktop.get_by_label("Card number")).to_be_focused()

    fill_card(desktop, "4242424242424242")
    desktop.get_by_role("button", name=re.compile("Donate")).click()
    expect(desktop.get_by_test_id("status")).to_have_text("Succeeded")
    donation = Donation.objects.get()  # the same donation, not a second one
    assert (donation.status, donation.email, donation.gift_amount) == (
        "succeeded", WALLET_EMAIL, 2500)
    assert donation.attempts.count() == 1  # …and the same PaymentIntent


def test_wallet_card_that_wants_3d_secure_asks_the_bank_once_then_succeeds(
    demo, live_server, desktop
):
    open_appeal(desktop, live_server, "?standin_wallet=4000002500003155")
    desktop.get_by_role("button", name="Test wallet (stand-in)").click()
    desktop.get_by_role("button", name="Complete authentication").click()
    expect(desktop.get_by_test_id("status")).to_have_text("Succeeded")
    expect(desktop.get_by_role("button", name="Complete authentication")).to_have_count(0)
    assert Donation.objects.get().email == WALLET_EMAIL


def test_wallet_without_an_amount_opens_nothing_and_says_why(demo, live_server, desktop):
    open_appeal(desktop, live_server, "?standin_wallet=1")
    desktop.get_by_role("radio", name="Other amount").check()
    desktop.get_by_role("button", name="Test wallet (stand-in)").click()
    expect(desktop.locator("#err-amount")).to_contain_text("choose or type an amount")
    expect(desktop.locator("#amount-other")).to_have_attribute("aria-invalid", "true")
    desktop.wait_for_timeout(1500)  # past Stripe's 1 s for resolve(): no payment followed
    assert not Donation.objects.exists()
    expect(desktop.locator("#err-card")).to_be_empty()
