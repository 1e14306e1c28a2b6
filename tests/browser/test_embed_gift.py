"""The whole gift inside the publisher's iframe, on a page of another origin: amount, the
donor's details, the card (the same Payment Element flow as the page), 3-D Secure, a
declined card and another, the thanks state; the frame keeps fitting its content."""

import re

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor, give_with_3d_secure
from tests.helpers import article_with_widget, eventually

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAME = "iframe[title='Donate to the Emergency Appeal: Floods']"


@pytest.fixture
def article(live_server, demo):
    with article_with_widget(demo, live_server.url) as url:
        yield url


def donate(widget, card: str):
    """The reader's details and a card, typed in the widget, then Donate."""
    fill_donor(widget)
    fill_card(widget, card)
    widget.get_by_role("button", name=re.compile("Donate")).click()


def frame_fits(phone):
    """The article's iframe is as tall as the widget's document (it told the article)."""
    inner = phone.frame_locator(FRAME).locator("html").evaluate(
        "e => Math.ceil(e.getBoundingClientRect().height)")
    return abs(phone.locator(FRAME).bounding_box()["height"] - inner) <= 2


def test_reader_gives_inside_the_article_and_is_thanked_there(article, phone):
    phone.goto(article)
    widget = phone.frame_locator(FRAME)
    donate(widget, "4242424242424242")

    expect(widget.get_by_role("heading", level=1)).to_have_text("Thank you, Grace")
    expect(widget.get_by_test_id("gift")).to_have_text("£25.00")
    expect(widget.get_by_test_id("status")).to_have_text("Succeeded")
    assert phone.url == article  # the reader never left the article
    donation = Donation.objects.get()
    assert (donation.status, donation.utm_source, donation.utm_medium, donation.ref) == (
        "succeeded", "daily-news", "embed", article)
    eventually(lambda: frame_fits(phone), timeout=5, what="the frame fits the thanks state")


def test_a_reader_who_does_not_give_loads_nothing_from_stripe(article, phone, standin):
    asked = []
    phone.on("request", lambda r: asked.append(r.url))
    phone.goto(article, wait_until="networkidle")
    widget = phone.frame_locator(FRAME)
    expect(widget.get_by_role("button", name=re.compile("Donate"))).to_be_disabled()
    assert not [u for u in asked if u.startswith(standin) or "donate" in u]

    widget.get_by_label("Email (for your receipt)").fill("reader@example.com")  # starts giving

    expect(widget.get_by_role("button", name=re.compile("Donate"))).to_be_enabled()
    assert [u for u in asked if u.startswith(standin + "/js.stripe.com/")]


def test_3d_secure_inside_the_article(article, phone):
    phone.goto(article)
    widget = phone.frame_locator(FRAME)
    fill_donor(widget)
    fill_card(widget, "4000002500003155")
    give_with_3d_secure(widget)
    assert Donation.objects.get().status == "succeeded"


def test_a_declined_card_then_another_inside_the_article(article, phone):
    phone.goto(article)
    widget = phone.frame_locator(FRAME)
    donate(widget, "4000000000000341")
    expect(widget.locator("#err-card")).to_contain_text("declined")

    fill_card(widget, "4242424242424242")
    widget.get_by_role("button", name=re.compile("Donate")).click()
    expect(widget.get_by_test_id("status")).to_have_text("Succeeded")
    assert Donation.objects.get().status == "succeeded"


def test_the_thanks_page_may_be_framed_only_as_the_widgets(live_server, demo, browser):
    from tests.factories import DonationFactory

    gift = DonationFactory(appeal=demo)
    context = browser.new_context()
    page = context.new_page()
    full = page.goto(f"{live_server.url}/donations/{gift.pk}/thanks/")
    assert full.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in full.headers["content-security-policy"]
    framed = page.goto(f"{live_server.url}/donations/{gift.pk}/thanks/?embed=1")
    assert "x-frame-options" not in framed.headers
    assert "frame-ancestors *" in framed.headers["content-security-policy"]
    assert framed.headers["cache-control"] == "private, no-store"
    context.close()


def test_a_shared_link_credits_the_next_readers_gift_to_the_article(article, phone, browser):
    from urllib.parse import parse_qs, urlsplit

    phone.goto(article)
    widget = phone.frame_locator(FRAME)
    donate(widget, "4242424242424242")
    expect(widget.get_by_test_id("status")).to_have_text("Succeeded")
    expect(widget.get_by_role("heading", name="Ask a friend to give too")).to_be_visible()
    shared = widget.get_by_test_id("share-url").input_value()
    query = parse_qs(urlsplit(shared).query)
    assert query == {"utm_source": ["daily-news"], "utm_medium": ["share"], "ref": [article]}
    email = widget.get_by_test_id("share-email").get_attribute("href")
    assert email.startswith("mailto:?subject=") and "reader%40example.com" not in email

    # A friend opens the link in their own browser and gives on the appeal page.
    friend = browser.new_context().new_page()
    friend.goto(shared)
    fill_donor(friend)
    fill_card(friend, "4242424242424242")
    friend.get_by_role("button", name=re.compile("Donate")).click()
    expect(friend.get_by_test_id("status")).to_have_text("Succeeded")
    second = Donation.objects.order_by("created_at").last()
    assert (second.utm_source, second.utm_medium, second.ref) == ("daily-news", "share", article)
    friend.context.close()
