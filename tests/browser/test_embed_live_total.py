"""The widget in a publisher's article tells its readers what readers of that publication
gave ("Readers of … gave £X to this appeal"), from cached totals, and shows a new gift from
that publication at once (the cache is dropped when the appeal's totals change)."""

import pytest
from playwright.sync_api import expect

from attribution.services import publisher_token_rotate
from donations.models import Donation
from tests.browser.test_embed_gift import donate
from tests.factories import DonationFactory
from tests.helpers import article_with_widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAME = "iframe[title='Donate to the Emergency Appeal: Floods']"


@pytest.fixture
def article(live_server, demo, settings):
    # Far longer than a test: a new total can only show by the cache being dropped.
    settings.APPEAL_TOTALS_TTL = 600
    publisher_token_rotate(source="daily-news", name="The Daily News")
    DonationFactory(appeal=demo, amount=4000, utm_source="daily-news")
    DonationFactory(appeal=demo, amount=10000, utm_source="radio")  # another paper's readers
    with article_with_widget(demo, live_server.url) as url:
        yield url


def test_widget_shows_what_the_papers_readers_gave_and_a_new_gift_at_once(article, phone):
    phone.goto(article)
    widget = phone.frame_locator(FRAME)
    expect(widget.get_by_test_id("raised")).to_have_text("£140.00")
    expect(widget.get_by_test_id("readers-total")).to_have_text(
        "Readers of The Daily News gave £40.00 to this appeal")

    # A reader of the paper gives £25 in the widget.
    donate(widget, "4242424242424242")
    expect(widget.get_by_test_id("status")).to_have_text("Succeeded")
    assert Donation.objects.get(amount=2500).utm_source == "daily-news"

    phone.goto(article)  # the next reader of the article
    expect(widget.get_by_test_id("readers-total")).to_have_text(
        "Readers of The Daily News gave £65.00 to this appeal")


def test_readers_total_names_the_source_without_a_publisher_and_hides_nothing_given(
        live_server, demo, browser):
    DonationFactory(appeal=demo, amount=1500, utm_source="weekly-post")
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/appeals/emergency-appeal/embed/?utm_source=weekly-post")
    expect(page.get_by_test_id("readers-total")).to_have_text(
        "Readers of weekly-post gave £15.00 to this appeal")
    page.goto(live_server.url + "/appeals/emergency-appeal/embed/?utm_source=nobody")
    expect(page.get_by_test_id("raised")).to_be_visible()
    expect(page.get_by_test_id("readers-total")).to_have_count(0)
    context.close()
