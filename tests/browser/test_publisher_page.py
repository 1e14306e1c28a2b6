"""The publisher's page: a publication types its source and key and reads what its articles
raised (its own feed, read from the browser); small counts hidden; another's key refused."""

import re

import pytest
from playwright.sync_api import expect

from attribution import counter
from tests.attribution.test_publisher_feed import new_key
from tests.factories import DonationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = "https://daily.example/2026/12/floods"


@pytest.fixture
def figures(demo):
    for placement, count, gifts in (("end", 400, [2000] * 6), ("top", 400, [1000] * 5),
                                    ("sidebar", 100, [5000] * 2)):
        for _ in range(count):
            counter.record_view(appeal_id=demo.pk, kind="page", attribution={
                "utm_source": "daily-news", "ref": STORY, "utm_content": placement})
        for amount in gifts:
            DonationFactory(appeal=demo, amount=amount, utm_source="daily-news", ref=STORY,
                            utm_content=placement, email="ada@example.com")
    counter.flush()
    return demo


def open_page(page, live_server, source, key):
    page.goto(live_server.url + "/publishers/")
    page.get_by_label("Your publication (its utm_source)").fill(source)
    page.get_by_label("Your key").fill(key)
    page.get_by_role("button", name="Show the figures").click()


def test_publisher_reads_its_articles_figures_on_its_page(figures, live_server, phone):
    open_page(phone, live_server, "daily-news", new_key("daily-news"))

    articles = phone.get_by_test_id("articles")
    end = articles.locator("tr", has_text="end")
    expect(end.locator("td")).to_have_text([STORY, "end", "400", "6", "fewer than 5", "6",
                                            "£120.00", "£300.00", re.compile(r"^£.* – £.*$")])
    # Two gifts: the money is not shown, so neither donor can be singled out.
    sidebar = articles.locator("tr", has_text="sidebar")
    expect(sidebar.locator("td").nth(5)).to_have_text("fewer than 5")
    expect(sidebar.locator("td").nth(6)).to_have_text("fewer than 5")
    placements = phone.get_by_test_id("placements").locator("tbody tr")
    expect(placements.locator("td")).to_have_text([
        STORY, "end", "top", "£175.00", re.compile(r"^-?£.* – £.*$"), re.compile(r".")])
    expect(phone.locator("body")).not_to_contain_text("ada@example.com")

    with phone.expect_download() as download:
        phone.get_by_role("button", name="Download as CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("day,ref,placement,currency,views") and "120.00" in text


def test_another_publications_key_or_a_wrong_one_is_refused(figures, live_server, phone):
    radio = new_key("radio")
    open_page(phone, live_server, "daily-news", radio)
    expect(phone.get_by_role("alert")).to_have_text("That key is for another publication.")
    expect(phone.get_by_test_id("articles")).to_be_hidden()

    phone.get_by_label("Your key").fill("made-up")
    phone.get_by_role("button", name="Show the figures").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "That key is not valid. Ask the charity for a new one.")
    assert "made-up" not in phone.url and "key" not in phone.url


def test_publisher_page_with_its_figures_has_no_accessibility_violations(
        figures, live_server, phone):
    from tests.browser.test_accessibility import assert_no_violations

    phone.goto(live_server.url + "/publishers/")
    assert_no_violations(phone)
    open_page(phone, live_server, "daily-news", new_key("daily-news"))
    expect(phone.get_by_test_id("articles")).to_be_visible()
    assert_no_violations(phone)
