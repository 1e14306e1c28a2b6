"""What a reader sees without scrolling sideways or down, measured in Debian's Chromium: a
390×844 phone and a 1366×900 desktop."""

import pytest
from playwright.sync_api import expect

from tests.helpers import create_donation, give_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A phone's layout viewport widens to fit content too wide (innerWidth grows with it): the
# width measured against is the screen's.
FITS = "document.documentElement.scrollWidth <= screen.width"


def paid(live_server, **body) -> str:
    created = create_donation(live_server.url, **body)
    assert created.status_code == 201, created.text
    donation_id = created.json()["id"]
    assert give_card(live_server.url, donation_id, "4242424242424242").json()["status"] == \
        "succeeded"
    return donation_id


@pytest.mark.parametrize("body", [
    {"cover_fees": True, "designation": "medicine", "first_name": "Maximiliana-Theodora"},
    {"appeal": "typhoon-relief-japan", "currency": "JPY", "amount": "3000", "cover_fees": True},
], ids=["gbp-fee-covered", "jpy"])
def test_thanks_page_fits_a_phone(live_server, demo, phone, body):
    donation_id = paid(live_server, **body)
    phone.goto(f"{live_server.url}/donations/{donation_id}/thanks/")
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    expect(phone.get_by_test_id("receipt")).to_contain_text("LL-")

    assert phone.evaluate(FITS), phone.evaluate("document.documentElement.scrollWidth")
    receipt = phone.get_by_test_id("receipt").bounding_box()
    assert receipt["x"] + receipt["width"] <= 390


@pytest.mark.parametrize("slug", ["emergency-appeal", "typhoon-relief-japan"])
def test_phone_sees_the_amounts_without_scrolling(live_server, demo, phone, slug):
    phone.goto(f"{live_server.url}/appeals/{slug}/")
    amounts = phone.locator(".amount-options")
    expect(amounts).to_be_visible()
    box = amounts.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert phone.evaluate(FITS)
    expect(phone.locator("main")).not_to_contain_text("{#")  # no template comment shows


def test_desktop_keeps_donate_in_view_while_reading_the_story(live_server, demo, desktop):
    desktop.goto(f"{live_server.url}/appeals/emergency-appeal/")
    amounts = desktop.locator(".amount-options").bounding_box()
    assert amounts["y"] + amounts["height"] <= 900, amounts
    desktop.get_by_role("heading", name="The story").scroll_into_view_if_needed()
    desktop.mouse.wheel(0, 2000)
    donate = desktop.get_by_role("button", name="Donate")
    expect(donate).to_be_in_viewport()
    assert desktop.evaluate(FITS)


@pytest.mark.parametrize("path", [
    "/", "/appeals/emergency-appeal/embed/?utm_source=daily-news",
    "/appeals/winter-appeal-2025/", "/appeals/typhoon-relief-japan/embed/",
])
def test_other_donor_pages_fit_a_phone(live_server, demo, phone, path):
    phone.goto(live_server.url + path)
    expect(phone.locator("main")).to_be_visible()
    assert phone.evaluate(FITS), phone.evaluate("document.documentElement.scrollWidth")
