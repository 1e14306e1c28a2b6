"""Small things a donor notices on day one, in Debian's Chromium (issue 16): the email
error, the home page's cards, a shared link's preview, the footer, where the receipt went."""

import re

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor, open_appeal
from tests.helpers import create_donation, give_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_email_left_empty_says_what_to_do(demo, live_server, phone):
    open_appeal(phone, live_server)
    fill_donor(phone)
    phone.get_by_label("Email (for your receipt)").fill("")
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.locator("#err-email")).to_have_text(
        "Enter your email address so we can send your receipt.")
    expect(phone.get_by_label("Email (for your receipt)")).to_be_focused()
    assert Donation.objects.count() == 0


def test_home_page_cards_show_picture_progress_and_a_donate_button(demo, live_server, phone):
    give_card(live_server.url, create_donation(
        live_server.url, appeal="typhoon-relief-japan", currency="JPY", amount="3000",
    ).json()["id"], "4242424242424242")
    phone.goto(live_server.url + "/")
    card = phone.locator("article").filter(has_text="Typhoon Relief: Japan")
    picture = card.locator("img")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(card.get_by_test_id("raised")).to_have_text("¥3,000")
    expect(card.get_by_role("progressbar")).to_be_visible()
    donate = card.get_by_role("link", name="Donate to Typhoon Relief: Japan", exact=True)
    expect(donate).to_have_text("Donate")  # what a reader sees; a screen reader hears which

    donate.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Typhoon Relief: Japan")
    assert phone.evaluate("document.documentElement.scrollWidth <= screen.width")


def test_a_shared_appeal_link_has_a_title_text_and_picture(demo, live_server, phone, settings):
    phone.goto(live_server.url + "/appeals/emergency-appeal/")
    og = {name: phone.locator(f'meta[property="og:{name}"]').get_attribute("content")
          for name in ("title", "description", "url", "image")}
    assert og["title"] == "Emergency Appeal: Floods"
    assert og["description"].startswith("Families have lost their homes")
    assert og["url"] == f"{settings.SITE_URL}/appeals/emergency-appeal/"
    assert re.fullmatch(rf"{re.escape(settings.SITE_URL)}/static/.+", og["image"])


def test_footer_links_the_privacy_notice_and_a_contact(demo, live_server, phone, settings):
    settings.CHARITY_PRIVACY_URL = "https://charity.example/privacy"
    settings.CHARITY_EMAIL = "help@charity.example"
    for path in ("/", "/appeals/emergency-appeal/"):
        phone.goto(live_server.url + path)
        footer = phone.get_by_role("contentinfo")
        expect(footer.get_by_role("link", name="Privacy notice")).to_have_attribute(
            "href", "https://charity.example/privacy")
        expect(footer.get_by_role("link", name="Contact us")).to_have_attribute(
            "href", "mailto:help@charity.example")


def test_thanks_page_says_where_the_receipt_went(demo, live_server, phone, inbox, worker):
    created = create_donation(live_server.url, email="jo.bloggs@example.com").json()
    give_card(live_server.url, created["id"], "4242424242424242")
    inbox.wait_for(1)

    response = phone.goto(f"{live_server.url}/donations/{created['id']}/thanks/")

    expect(phone.get_by_test_id("receipt-email")).to_have_text(
        "We emailed your receipt to j…@example.com.")
    assert response.headers["cache-control"] == "private, no-store"  # the donor's own page
