"""From an article's link, through a wander round the site, to the charity's report."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser.test_donate import fill_card, fill_donor
from tests.helpers import discard_page_views

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = "https://news.example/2026/11/floods-live"


def test_gift_after_wandering_shows_against_its_article_in_the_admin_report(
    demo, live_server, phone, browser
):
    discard_page_views()
    phone.goto(f"{live_server.url}/appeals/emergency-appeal/?utm_source=daily-news"
               f"&utm_campaign=floods&ref={ARTICLE}")
    phone.get_by_role("link", name="Lifeline Relief").click()  # off to the home page…
    phone.get_by_role("link", name="Emergency Appeal: Floods").first.click()  # …and back
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")

    User.objects.create_superuser("boss", "boss@example.org", "a-long-password")
    context = browser.new_context()
    admin = context.new_page()
    admin.goto(live_server.url + "/admin/reports/appeals/emergency-appeal/attribution/")
    admin.get_by_label("Username").fill("boss")
    admin.get_by_label("Password").fill("a-long-password")
    admin.get_by_role("button", name="Log in").click()

    row = admin.locator("#attribution-report tbody tr", has_text=ARTICLE)
    expect(row).to_contain_text("daily-news")
    expect(row).to_contain_text("floods")
    cells = row.locator("td")
    expect(cells.nth(4)).to_have_text("2")  # page views: the landing and the return
    expect(cells.nth(6)).to_have_text("1")  # gifts
    expect(cells.nth(7)).to_have_text("£25.00")
    expect(cells.nth(8)).to_have_text("50%")

    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download CSV for the publisher").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert f"daily-news,,floods,{ARTICLE},2,0,1,25.00,GBP,0.5000" in text
    context.close()
