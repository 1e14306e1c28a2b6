"""A publisher's article on another origin frames the widget; the reader goes on to give."""

import re

import pytest
from playwright.sync_api import expect

from attribution.embed import embed_snippet
from tests.helpers import serve_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def publisher(live_server, demo):
    """news.localhost-like: an article on its own origin (another port) with the snippet."""
    snippet = embed_snippet(demo, live_server.url + "/", source="daily-news")
    with serve_html(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Floods</title></head>"
        "<body><h1>Floods: thousands leave their homes</h1><p>Report…</p>"
        f"{snippet}<p>End of article.</p></body></html>"
    ) as url:
        yield url


def test_widget_in_an_article_fits_its_frame_and_links_to_the_full_page_with_the_article(
    publisher, live_server, phone
):
    article_url = publisher + "/2026/11/floods"
    phone.goto(article_url)
    frame_el = phone.locator("iframe[title='Donate to the Emergency Appeal: Floods']")
    widget = phone.frame_locator("iframe[title='Donate to the Emergency Appeal: Floods']")
    expect(widget.get_by_role("heading", level=1)).to_have_text("Emergency Appeal: Floods")
    expect(widget.get_by_test_id("raised")).to_have_text("£0.00")

    # The widget told the article its height: the frame is resized from the default 24rem.
    expect(frame_el).not_to_have_attribute("style", re.compile(r"height:\s*24rem"))
    inner = widget.locator("html").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    box = frame_el.bounding_box()
    assert abs(box["height"] - inner) <= 2

    # The full page stays a click away (a reader who prefers it, a browser that blocks the
    # payment fields in a frame).
    with phone.context.expect_page() as new_tab:
        widget.get_by_role("link", name=re.compile(r"Give on the full page instead")).click()
    form = new_tab.value
    expect(form.get_by_role("heading", level=1)).to_have_text("Emergency Appeal: Floods")
    query = form.url.split("?", 1)[1]
    assert "utm_source=daily-news" in query and "utm_medium=embed" in query
    expect(form.locator("input[name=ref]")).to_have_value(article_url)
    expect(form.locator("input[name=utm_source]")).to_have_value("daily-news")


def test_only_the_widget_may_be_framed(publisher, live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    answer = page.goto(live_server.url + "/appeals/emergency-appeal/")
    assert answer.headers["x-frame-options"] == "DENY"
    widget = page.goto(live_server.url + "/appeals/emergency-appeal/embed/")
    assert "x-frame-options" not in widget.headers
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    context.close()
