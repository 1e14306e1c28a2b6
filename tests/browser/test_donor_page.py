"""The donor's own page in Debian's Chromium, from the emailed link (SPEC "/donor/";
docs/donor-page.md): ask for a link, open it, sign in, see the gifts, download a receipt and a
tax year's statement, cancel a monthly gift with its confirmation; a link used twice or late
is refused. The email comes through a real worker and SMTP server (aiosmtpd)."""

import io
import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from donations.models import Donation, RegularGift
from donors.models import SignInLink
from donors.selectors import tax_year_of
from donors.services import sign_in_link_create
from tests.donations.test_monthly import (  # noqa: F401  (stripe_api is a fixture)
    next_month_at_stripe,
    paid_monthly,
    stripe_api,
)
from tests.donors.conftest import paid_gift, sign_in_links
from tests.helpers import eventually

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "ada@example.com"
GIFT_AID = {"gift_aid": True, "address_line1": "10 Downing Street", "postcode": "SW1A 2AA"}


def downloaded_text(page, link) -> str:
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)


def sign_in_with(page, url: str):
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to see your gifts")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your gifts")


def test_donor_signs_in_from_the_emailed_link_downloads_pdfs_and_cancels_a_monthly_gift(
        demo, webhooks, inbox, worker, phone, client, stripe_api):  # noqa: F811
    one_off = paid_gift(webhooks.url, email=EMAIL, **GIFT_AID)
    monthly = paid_monthly(webhooks.url, email=EMAIL)
    paid_gift(webhooks.url, email="grace@example.com")
    inbox.wait_for(3)  # three receipts
    numbers = {str(d.pk): d.receipt.number for d in Donation.objects.filter(email=EMAIL)}
    one_off_number = numbers[one_off["id"]]

    phone.goto(webhooks.url + "/donor/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your gifts")
    expect(phone.get_by_test_id("gift")).to_have_count(0)
    phone.get_by_label("Your email address").fill(EMAIL)
    phone.get_by_role("button", name="Email me a link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")

    url = eventually(lambda: sign_in_links(inbox.messages, EMAIL), timeout=30,
                     what="the sign-in email")[0]
    sign_in_with(phone, url)

    gifts = phone.get_by_test_id("gift")
    expect(gifts).to_have_count(2)  # Grace's gift is not here
    for number in numbers.values():
        expect(phone.get_by_text(number, exact=True)).to_be_visible()
    expect(phone.get_by_text("£25.00").first).to_be_visible()

    receipt = downloaded_text(phone, phone.get_by_role(
        "link", name=f"Download receipt {one_off_number} (PDF)"))
    assert one_off_number in receipt and "£25.00" in receipt

    year = tax_year_of(timezone.now())
    statement = downloaded_text(phone, phone.get_by_role(
        "link", name=f"Statement for the tax year {year}–{str(year + 1)[-2:]} (PDF)"))
    for number in numbers.values():
        assert number in statement
    assert f"6 April {year} to 5 April {year + 1}" in statement
    lines = {line for line in statement.splitlines() if one_off_number in line}
    assert any(line.rstrip().endswith("Yes") for line in lines), statement  # Gift Aid marked
    assert "Total given in GBP: £50.00" in statement

    monthly_card = phone.get_by_test_id("monthly-gift")
    expect(monthly_card).to_contain_text("£25.00 a month")
    expect(monthly_card).to_contain_text("Next collection")
    expect(monthly_card.get_by_role("link", name="Update card")).to_have_attribute(
        "href", f"/donor/monthly/{monthly['regular_gift']}/card/")
    monthly_card.get_by_role("link", name=re.compile("^Cancel")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Cancel your monthly gift?")
    phone.get_by_role("button", name="Yes, cancel my monthly gift").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("is cancelled")
    expect(phone.get_by_test_id("monthly-status")).to_have_text("Canceled")
    expect(monthly_card.get_by_role("link", name=re.compile("^Cancel"))).to_have_count(0)

    api = client.get(f"/api/v1/regular-gifts/{monthly['regular_gift']}/").json()
    assert api["status"] == "canceled"
    gift = RegularGift.objects.get(pk=monthly["regular_gift"])
    assert stripe_api.v1.subscriptions.retrieve(gift.stripe_subscription).status == "canceled"

    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("button", name="Email me a link")).to_be_visible()
    expect(phone.get_by_test_id("gift")).to_have_count(0)


def test_a_link_used_once_is_refused_the_second_time(demo, live_server, browser, phone):
    paid_gift(live_server.url, email=EMAIL)
    url = f"{live_server.url}/donor/sign-in/{sign_in_link_create(email=EMAIL)}/"
    sign_in_with(phone, url)

    other = browser.new_context()
    try:
        page = other.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "This link has expired or was already used")
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        expect(page.get_by_label("Your email address")).to_be_visible()
    finally:
        other.close()


def test_a_link_older_than_60_minutes_is_refused(demo, live_server, phone):
    paid_gift(live_server.url, email=EMAIL)
    token = sign_in_link_create(email=EMAIL)
    SignInLink.objects.update(created_at=timezone.now() - timedelta(minutes=61),
                              expires_at=timezone.now() - timedelta(minutes=1))
    phone.goto(f"{live_server.url}/donor/sign-in/{token}/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "This link has expired or was already used")
    phone.get_by_label("Your email address").fill(EMAIL)
    phone.get_by_role("button", name="Email me a link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")


def test_the_donors_pages_have_no_accessibility_violations(demo, live_server, browser):
    paid_gift(live_server.url, email=EMAIL, **GIFT_AID)
    paid_monthly(live_server.url, email=EMAIL)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        axe = Axe()
        page.goto(live_server.url + "/donor/")
        assert axe.run(page).violations_count == 0
        sign_in_with(page, f"{live_server.url}/donor/sign-in/{sign_in_link_create(email=EMAIL)}/")
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        page.get_by_role("link", name="Change amount").click()
        page.get_by_role("button", name="Change the amount").click()
        expect(page.get_by_label(re.compile("New amount each month"))).to_have_attribute(
            "aria-invalid", "true")
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_donor_changes_the_monthly_amount_from_next_month(demo, live_server, phone, client,
                                                          stripe_api):  # noqa: F811
    monthly = paid_monthly(live_server.url, email=EMAIL)
    sign_in_with(phone, f"{live_server.url}/donor/sign-in/{sign_in_link_create(email=EMAIL)}/")
    phone.get_by_role("link", name="Change amount").click()
    field = phone.get_by_label(re.compile("New amount each month"))
    field.fill("0.50")
    phone.get_by_role("button", name="Change the amount").click()
    expect(phone.locator("#err-amount")).to_contain_text("£1.00")
    field = phone.get_by_label(re.compile("New amount each month"))
    field.fill("30")
    phone.get_by_role("button", name="Change the amount").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("you give £30.00 a month")
    expect(phone.get_by_test_id("monthly-gift")).to_contain_text("£30.00 a month")

    assert client.get(f"/api/v1/regular-gifts/{monthly['regular_gift']}/").json()[
        "amount"] == "30.00"
    # Stripe collects the new amount from the next month, nothing prorated.
    assert next_month_at_stripe(stripe_api, monthly["regular_gift"])["amount_paid"] == 3000
