"""axe-core (in Chromium) finds nothing on the donor's pages, errors shown or not; the
appeal page reflows at 320 px (what 400% zoom of a 1280 px screen is), and a whole gift can
be made at 200% zoom."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor, open_appeal
from tests.factories import DonationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

axe = Axe()


def assert_no_violations(page):
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_home_appeal_page_and_widget_have_no_violations(demo, live_server, desktop):
    for path in ("/", "/appeals/emergency-appeal/", "/appeals/emergency-appeal/embed/",
                 "/appeals/typhoon-relief-japan/", "/appeals/winter-appeal-2025/"):
        desktop.goto(live_server.url + path)
        expect(desktop.get_by_role("heading", level=1)).to_be_visible()
        assert_no_violations(desktop)


def test_form_with_errors_shown_has_no_violations(demo, live_server, desktop):
    desktop.goto(live_server.url + "/appeals/emergency-appeal/")
    desktop.get_by_role("radio", name="Other amount").check()
    desktop.get_by_label("Your amount (GBP)").fill("0.5")
    desktop.get_by_label("Gift Aid", exact=False).check()
    desktop.get_by_role("button", name=re.compile("Donate")).click()
    expect(desktop.locator("#err-email")).not_to_be_empty()
    expect(desktop.get_by_label("Email (for your receipt)")).to_have_attribute("aria-invalid", "true")
    # Every problem at once: the amount and Gift Aid's address too, not in a second round.
    expect(desktop.locator("#err-amount")).to_contain_text("smallest gift is £1.00")
    expect(desktop.locator("#err-postcode")).to_contain_text("UK postcode")
    expect(desktop.locator("#err-address_line1")).not_to_be_empty()
    assert_no_violations(desktop)


def test_declined_card_message_has_no_violations(demo, live_server, desktop):
    desktop.goto(live_server.url + "/appeals/emergency-appeal/")
    fill_donor(desktop)
    fill_card(desktop, "4000000000000341")
    desktop.get_by_role("button", name=re.compile("Donate")).click()
    expect(desktop.locator("#err-card")).to_contain_text("declined")
    # Focus is back on the card: the donor types another one, nothing else.
    expect(desktop.get_by_label("Card number")).to_be_focused()
    assert_no_violations(desktop)


def test_thanks_page_has_no_violations(demo, live_server, desktop):
    for status in (Donation.Status.SUCCEEDED, Donation.Status.CANCELED):
        gift = DonationFactory(appeal=demo, amount=2500, status=status, first_name="Ada")
        desktop.goto(f"{live_server.url}/donations/{gift.pk}/thanks/")
        expect(desktop.get_by_test_id("gift")).to_have_text("£25.00")
        assert_no_violations(desktop)


@pytest.mark.parametrize("path", ["/appeals/emergency-appeal/", "/appeals/emergency-appeal/embed/"])
def test_pages_fit_320_pixels_without_sideways_scrolling(demo, live_server, browser, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_a_gift_can_be_made_at_200_percent_zoom(demo, live_server, browser):
    # Browser zoom at 200% on a 1280 x 800 screen: twice the device pixels per CSS pixel,
    # so the page lays out in 640 x 400 CSS pixels.
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_appeal(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    overflowing = page.evaluate("""() => [...document.querySelectorAll(
            'main h1, main p, label, input:not([type=hidden]), select, button, legend')]
        .filter(el => el.getBoundingClientRect().right > 640 + 1)
        .map(el => el.outerHTML.slice(0, 80))""")
    assert overflowing == [], overflowing  # nothing cut off at the right edge
    fill_donor(page)
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name=re.compile("Donate")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you, Grace")
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    context.close()
