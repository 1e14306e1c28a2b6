"""A closed appeal names a successor: readers of old articles are sent on to it, with the
article's utm_*/ref, instead of meeting a dead end."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError

from appeals.models import Appeal
from appeals.services import appeal_set_status, appeal_set_successor
from tests.factories import AppealFactory

pytestmark = pytest.mark.django_db

ARTICLE = {
    "utm_source": "daily-news",
    "utm_medium": "social",
    "utm_campaign": "winter 2025",
    "utm_content": "sidebar",
    "ref": "https://news.example/2025/12/winter?page=2&x=ü",
}


def successor_link(page: str) -> str | None:
    found = re.search(r'<a [^>]*data-testid="successor-link"[^>]*href="([^"]*)"', page) or \
        re.search(r'<a [^>]*href="([^"]*)"[^>]*data-testid="successor-link"', page)
    return html.unescape(found.group(1)) if found else None


def test_closed_widget_links_to_its_successor_carrying_the_articles_parameters(client, demo):
    answer = client.get("/appeals/winter-appeal-2025/embed/", {**ARTICLE, "other": "dropped"})

    page = answer.content.decode()
    assert "This appeal is closed" in page
    assert 'id="donate-form"' not in page
    link = urlsplit(successor_link(page))
    assert link.path == "/appeals/emergency-appeal/"
    assert parse_qs(link.query) == {name: [value] for name, value in ARTICLE.items()}


def test_closed_page_links_to_its_successor_for_its_script_to_carry_the_parameters_on(
        client, demo):
    """The page is the same for every reader (docs/page-cache.md): the link is marked for
    static/js/attribution.js, which adds the address's parameters (tests/browser)."""
    answer = client.get("/appeals/winter-appeal-2025/", {**ARTICLE, "other": "dropped"})

    page = answer.content.decode()
    assert "This appeal is closed" in page
    assert 'id="donate-form"' not in page
    assert successor_link(page) == "/appeals/emergency-appeal/"
    assert "data-carries-attribution" in page and "js/attribution.js" in page
    assert answer.content == client.get("/appeals/winter-appeal-2025/").content


@pytest.mark.parametrize("path", ["/appeals/winter-appeal-2025/",
                                  "/appeals/winter-appeal-2025/embed/"])
def test_without_an_article_the_successor_link_has_no_query(client, demo, path):
    page = client.get(path).content.decode()
    assert successor_link(page) == "/appeals/emergency-appeal/"


def test_each_reader_gets_their_own_articles_parameters(client, demo):
    client.get("/appeals/winter-appeal-2025/embed/", {"utm_source": "first-paper"})
    other = client.get("/appeals/winter-appeal-2025/embed/", {"utm_source": "second-paper"})
    assert successor_link(other.content.decode()) == \
        "/appeals/emergency-appeal/?utm_source=second-paper"


def test_a_closed_appeal_without_successor_shows_no_link(client, demo):
    AppealFactory(slug="spring", status=Appeal.Status.CLOSED)
    assert successor_link(client.get("/appeals/spring/").content.decode()) is None


def test_a_live_appeal_with_a_successor_keeps_its_form_and_shows_no_link(client, demo):
    live = AppealFactory(slug="autumn")
    appeal_set_successor(appeal=live, successor=demo)
    page = client.get("/appeals/autumn/").content.decode()
    assert successor_link(page) is None
    assert 'id="donate-form"' in page


def test_a_successor_that_closed_in_turn_sends_readers_on_down_the_line(client, demo):
    spring = AppealFactory(slug="spring")
    appeal_set_successor(appeal=spring, successor=demo)
    winter = Appeal.objects.get(slug="winter-appeal-2025")
    appeal_set_successor(appeal=winter, successor=spring)
    appeal_set_status(appeal=spring, status=Appeal.Status.CLOSED)

    page = client.get("/appeals/winter-appeal-2025/").content.decode()
    assert successor_link(page) == "/appeals/emergency-appeal/"


def test_a_successor_taken_back_to_draft_is_never_linked(client, demo):
    appeal_set_status(appeal=demo, status=Appeal.Status.DRAFT)
    assert successor_link(client.get("/appeals/winter-appeal-2025/").content.decode()) is None


# --- what an admin may choose --------------------------------------------------------------


def test_an_appeal_cannot_succeed_itself(demo):
    with pytest.raises(ValidationError) as refused:
        appeal_set_successor(appeal=demo, successor=demo)
    assert "successor" in refused.value.message_dict


def test_successors_cannot_go_round_in_a_circle(demo):
    a, b = AppealFactory(slug="a"), AppealFactory(slug="b")
    appeal_set_successor(appeal=a, successor=b)
    appeal_set_successor(appeal=b, successor=demo)

    demo.successor = a
    with pytest.raises(ValidationError) as refused:
        demo.full_clean()
    assert "circle" in refused.value.message_dict["successor"][0]
    demo.refresh_from_db()
    assert demo.successor is None


@pytest.mark.parametrize("status", [Appeal.Status.DRAFT, Appeal.Status.CLOSED])
def test_a_successor_must_be_live_when_chosen(demo, status):
    other = AppealFactory(slug="other", status=status)
    with pytest.raises(ValidationError) as refused:
        appeal_set_successor(appeal=demo, successor=other)
    assert "live" in refused.value.message_dict["successor"][0]


def test_an_appeal_whose_successor_closed_later_can_still_be_saved(demo):
    winter = Appeal.objects.get(slug="winter-appeal-2025")
    appeal_set_status(appeal=demo, status=Appeal.Status.CLOSED)

    winter.title = "Winter Appeal 2025 (closed)"
    winter.full_clean()
    winter.save()
