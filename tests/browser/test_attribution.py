"""A reader from an article gives on the appeal page, which is the same for every reader
(docs/page-cache.md): the page's script reads the article's attribution from the address,
the gift carries it, and the view is counted by the script's beacon."""

import re

import pytest
from playwright.sync_api import expect

from attribution import counter
from attribution.models import PageView
from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor
from tests.helpers import discard_page_views

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_views() -> dict:
    counter.flush()
    return {(v.kind, v.utm_source, v.ref): v.views for v in PageView.objects.all()}


def test_reader_from_a_paper_gives_and_the_gift_and_the_view_count_for_its_story(
        demo, live_server, phone):
    discard_page_views()
    with phone.expect_response(re.compile(r"/api/v1/views/$")) as beacon:
        phone.goto(f"{live_server.url}/appeals/emergency-appeal/?utm_source=paper&ref=story1")
    assert beacon.value.status == 204
    expect(phone.locator("input[name=utm_source]")).to_have_value("paper")
    expect(phone.locator("input[name=ref]")).to_have_value("story1")

    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    donation = Donation.objects.get()
    assert (donation.utm_source, donation.ref, donation.status) == ("paper", "story1",
                                                                      "succeeded")
    assert page_views() == {("page", "paper", "story1"): 1}


def test_reader_who_comes_back_without_the_articles_link_still_gives_from_it(
        demo, live_server, phone):
    discard_page_views()
    with phone.expect_response(re.compile(r"/api/v1/views/$")):
        phone.goto(f"{live_server.url}/appeals/emergency-appeal/?utm_source=paper&ref=story1")
    with phone.expect_response(re.compile(r"/api/v1/views/$")):
        phone.goto(f"{live_server.url}/appeals/emergency-appeal/")
    expect(phone.locator("input[name=utm_source]")).to_have_value("")

    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert (Donation.objects.get().utm_source, Donation.objects.get().ref) == ("paper", "story1")
    assert page_views() == {("page", "paper", "story1"): 2}


def test_markup_in_the_address_stays_text_in_the_form(demo, live_server, phone):
    phone.goto(f"{live_server.url}/appeals/emergency-appeal/"
               "?ref=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    expect(phone.locator("input[name=ref]")).to_have_value('"><img src=x onerror=alert(1)>')
    expect(phone.locator("img[src=x]")).to_have_count(0)
