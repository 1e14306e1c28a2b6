"""A donor who uses only the keyboard gives, from the article's link to the thanks page."""

import pytest
from playwright.sync_api import expect

from donations.models import Donation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector, limit=40):
    """Press Tab until the element matching `selector` has focus (it must be reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_whole_gift_with_the_keyboard_alone(demo, live_server, browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/appeals/emergency-appeal/?utm_source=news&ref=kbd-article")

    # The amounts are one radio group: Tab enters it at the chosen amount, arrows move.
    tab_to(page, "input[name=preset]")
    expect(page.get_by_role("radio", name="£25.00 feeds a family for a week")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="£50.00 gives clean water to 10 families for a week")).to_be_checked()

    tab_to(page, "#email")
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("Lovelace")
    tab_to(page, "#cover_fees")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Add £0.97 to cover the card fee")).to_be_checked()

    # The card field (the stand-in's Stripe.js: plain inputs that move on when full).
    tab_to(page, "#card-element input")
    page.keyboard.type("4242424242424242")
    page.keyboard.type("12")
    page.keyboard.type("34")
    page.keyboard.type("123")
    expect(page.get_by_label("Billing postcode")).to_be_focused()
    page.keyboard.type("SW1A1AA")

    tab_to(page, "#donate-button")
    expect(page.locator("#donate-button")).to_have_text("Donate £50.97")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("status")).to_have_text("Succeeded")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ada")
    donation = Donation.objects.get()
    assert (donation.gift_amount, donation.amount) == (5000, 5097)
    assert (donation.utm_source, donation.ref) == ("news", "kbd-article")
    context.close()
