"""A monthly donor whose card failed puts in a new one from the emailed link, on a phone in
Debian's Chromium, through the stand-in, its webhooks, a Celery worker and an aiosmtpd inbox
(docs/monthly-gifts.md, "A failed month", "The card page")."""

import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from donations.models import Donation, RegularGift
from tests.browser.test_donate import fill_card, fill_donor, open_appeal
from tests.donations.test_monthly import (
    month_declined_at_stripe,
    next_month_at_stripe,
    regular_gift,
    standin_events,
    stripe_api,  # noqa: F401  (a fixture)
)
from tests.donations.test_monthly_dunning import card_link, mail_worker  # noqa: F401
from tests.donations.test_webhooks import deliver
from tests.helpers import eventually

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def failure_emails(inbox) -> list:
    return [m for m in inbox.messages if "could not take" in m["Subject"]]


def test_a_donor_whose_month_failed_puts_in_a_new_card_from_the_email_and_gives_on(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client, phone):  # noqa: F811
    # A monthly gift of £10.00 given on the form.
    open_appeal(phone, webhooks)
    fill_donor(phone, "£10.00")
    phone.get_by_role("radio", name="Monthly").check()
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    gift = RegularGift.objects.get()

    # The next month fails at Stripe: past due, and one email with the link.
    invoice = month_declined_at_stripe(stripe_api, standin, gift.pk)
    eventually(lambda: regular_gift(client, gift.pk)["status"] == "past_due", timeout=15,
               what="past due")
    eventually(lambda: failure_emails(inbox), timeout=30, what="the failed month's email")
    (sent,) = standin_events(settings.STRIPE_API_BASE, "invoice.payment_failed", invoice)
    assert deliver(client, sent).status_code == 200  # redelivered
    time.sleep(3)
    (email,) = failure_emails(inbox)
    assert email["To"] == "reader@example.com"
    assert "£10.00" in email["Subject"]

    # The donor opens the link, types a good card and saves it.
    phone.goto(card_link(email))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your monthly gift's card")
    expect(phone.get_by_test_id("gift-state")).to_contain_text(
        "This month's £10.00 for Emergency Appeal: Floods could not be taken")
    expect(phone.get_by_test_id("amount")).to_have_text("£10.00")
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name="Save card and give £10.00").click()

    expect(phone.get_by_role("status").filter(has_text="Thank you")).to_have_text(
        "Thank you: your new card is saved, and this month's gift has been taken with it. "
        "A receipt is on its way to your inbox.")
    shown = regular_gift(client, gift.pk)
    assert shown["status"] == "active"
    assert [p["status"] for p in shown["payments"]] == ["succeeded", "succeeded"]
    assert all(p["receipt_number"] for p in shown["payments"])
    assert Donation.objects.get(pk=shown["payments"][1]["id"]).stripe_invoice == invoice
    # The month's receipt reaches the donor.
    receipt = shown["payments"][1]["receipt_number"]
    eventually(lambda: [m for m in inbox.messages if receipt in m["Subject"]], timeout=30,
               what="the paid month's receipt")

    # The month after is paid with the new card.
    next_month_at_stripe(stripe_api, gift.pk)
    payments = eventually(lambda: (lambda p: p if len(p) == 3 else None)(
        regular_gift(client, gift.pk)["payments"]), timeout=15, what="the month after")
    assert [p["status"] for p in payments] == ["succeeded"] * 3
    assert regular_gift(client, gift.pk)["status"] == "active"
    assert len(failure_emails(inbox)) == 1


def test_the_card_page_and_its_expired_link_page_have_no_violations(
        demo, webhooks, stripe_api, standin, client, browser):
    from tests.browser.test_accessibility import assert_no_violations
    from tests.donations.test_monthly import paid_monthly

    from donations.services.card_links import card_link_token

    gift = RegularGift.objects.get(pk=paid_monthly(webhooks.url)["regular_gift"])
    month_declined_at_stripe(stripe_api, standin, gift.pk)
    eventually(lambda: regular_gift(client, gift.pk)["status"] == "past_due", timeout=15,
               what="past due")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{webhooks.url}/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}")
        expect(page.get_by_role("button", name="Save card and give £25.00")).to_be_enabled()
        assert_no_violations(page)
        # A card refused when it is saved: the page says so, and the gift is as it was.
        fill_card(page, "4000000000000002")
        page.get_by_role("button", name="Save card and give £25.00").click()
        expect(page.locator("#err-card")).to_contain_text("Nothing was taken")
        assert regular_gift(client, gift.pk)["status"] == "past_due"
        assert_no_violations(page)
        page.goto(f"{webhooks.url}/donor/monthly/{gift.pk}/card/?t=expired")
        expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
        expect(page.get_by_role("link", name="Ask for a new link")).to_have_attribute(
            "href", "/donor/")
        assert_no_violations(page)
    finally:
        context.close()


def test_a_new_card_the_bank_checks_is_saved_after_the_check_and_pays_the_month(
        demo, webhooks, stripe_api, standin, client, phone):
    """4000002500003155 asks for 3-D Secure when it is saved (the SetupIntent); saved for
    payments without the donor, the failed month is then taken with no second check."""
    from tests.donations.test_monthly import paid_monthly

    from donations.services.card_links import card_link_token

    gift = RegularGift.objects.get(pk=paid_monthly(webhooks.url)["regular_gift"])
    month_declined_at_stripe(stripe_api, standin, gift.pk)
    eventually(lambda: regular_gift(client, gift.pk)["status"] == "past_due", timeout=15,
               what="past due")
    phone.goto(f"{webhooks.url}/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}")
    fill_card(phone, "4000002500003155")
    phone.get_by_role("button", name="Save card and give £25.00").click()

    # The bank's check fails first: nothing changes, and the donor may try again.
    phone.get_by_role("button", name="Fail authentication").click()
    expect(phone.locator("#err-card")).to_contain_text("Your bank could not confirm the card")
    assert regular_gift(client, gift.pk)["status"] == "past_due"
    fill_card(phone, "4000002500003155")
    phone.get_by_role("button", name="Save card and give £25.00").click()
    phone.get_by_role("button", name="Complete authentication").click()

    expect(phone.locator("#card-done")).to_contain_text("this month's gift has been taken")
    shown = regular_gift(client, gift.pk)
    assert shown["status"] == "active" and len(shown["payments"]) == 2
    customer = stripe_api.v1.customers.retrieve(gift.stripe_customer)
    card = stripe_api.v1.payment_methods.retrieve(
        customer.invoice_settings.default_payment_method)
    assert card.card.last4 == "3155"


def test_a_signed_in_donor_updates_an_active_gifts_card_from_their_page(
        demo, live_server, stripe_api, client, phone):
    """No failed month: the new card pays the months to come, nothing is taken now."""
    from donors.services import sign_in_link_create
    from tests.browser.test_donor_page import sign_in_with
    from tests.donations.test_monthly import paid_monthly

    gift = RegularGift.objects.get(pk=paid_monthly(live_server.url,
                                                   email="ada@example.com")["regular_gift"])
    sign_in_with(phone, f"{live_server.url}/donor/sign-in/"
                        f"{sign_in_link_create(email='ada@example.com')}/")
    phone.get_by_role("link", name="Update card").click()

    expect(phone.get_by_test_id("gift-state")).to_have_text(
        "Your monthly gift is active. A new card here pays the months to come.")
    fill_card(phone, "5555555555554444")
    phone.get_by_role("button", name="Save card", exact=True).click()

    expect(phone.locator("#card-done")).to_have_text(
        "Thank you: your new card is saved and pays your monthly gift from now on.")
    shown = regular_gift(client, gift.pk)
    assert shown["status"] == "active" and len(shown["payments"]) == 1  # nothing taken now
    customer = stripe_api.v1.customers.retrieve(gift.stripe_customer)
    assert stripe_api.v1.payment_methods.retrieve(
        customer.invoice_settings.default_payment_method).card.last4 == "4444"
    phone.get_by_role("link", name="Back to your gifts").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your gifts")
