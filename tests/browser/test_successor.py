"""An old article about a closed appeal: its reader follows the widget's (or the page's) link
to the successor appeal and arrives there with the article's attribution."""

import re

import pytest
from playwright.sync_api import expect

from appeals.models import Appeal
from attribution.embed import embed_snippet
from tests.helpers import serve_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_of_an_old_article_goes_from_the_closed_widget_to_the_successor(
        live_server, demo, phone):
    winter = Appeal.objects.get(slug="winter-appeal-2025")
    snippet = embed_snippet(winter, live_server.url + "/", source="daily-news")
    article = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Winter</title>"
               f"</head><body><h1>A cold winter</h1>{snippet}</body></html>")
    with serve_html(article) as publisher:
        article_url = publisher + "/2025/12/winter-appeal"
        phone.goto(article_url)
    widget = phone.frame_locator("iframe[title='Donate to the Winter Appeal 2025']")
    expect(widget.get_by_text("This appeal is closed")).to_be_visible()
    with phone.context.expect_page() as new_tab:
        widget.get_by_role("link", name=re.compile("Give to the Emergency Appeal: Floods")).click()

    page = new_tab.value
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency Appeal: Floods")
    assert page.url.startswith(live_server.url + "/appeals/emergency-appeal/?")
    expect(page.locator("input[name=utm_source]")).to_have_value("daily-news")
    expect(page.locator("input[name=utm_medium]")).to_have_value("embed")
    expect(page.locator("input[name=ref]")).to_have_value(article_url)


def test_reader_goes_from_the_closed_page_to_the_successor_with_the_articles_parameters(
        live_server, demo, phone):
    phone.goto(live_server.url + "/appeals/winter-appeal-2025/?utm_source=daily-news"
               "&utm_campaign=winter&utm_content=top&ref=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1")
    expect(phone.get_by_role("heading", name="This appeal is closed")).to_be_visible()
    expect(phone.get_by_text("Give now")).to_have_count(0)  # nothing offers what it refuses

    phone.get_by_role("link", name="Give to the Emergency Appeal: Floods").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Emergency Appeal: Floods")
    expect(phone.locator("#donate-form")).to_be_visible()
    expect(phone.locator("input[name=utm_source]")).to_have_value("daily-news")
    expect(phone.locator("input[name=utm_campaign]")).to_have_value("winter")
    expect(phone.locator("input[name=utm_content]")).to_have_value("top")
    expect(phone.locator("input[name=ref]")).to_have_value("https://news.example/a?b=1")
