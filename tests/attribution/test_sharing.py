"""Share links on the thanks page: the article that started the chain, carried on; plain
links only, and only after a paid gift."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from donations.models import Donation
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db

ODD_REF = 'https://daily.example/a?b=1&c="<x>"'


def share_url(page: str) -> str:
    return re.search(r'id="share-url" data-testid="share-url" value="([^"]*)"', page)[1]


def test_share_links_carry_the_article_and_no_donor_data(client, demo):
    gift = DonationFactory(appeal=demo, utm_source="daily-news", utm_campaign="floods",
                           utm_content="end", ref=ODD_REF, email="ada@example.com")
    page = client.get(f"/donations/{gift.pk}/thanks/").content.decode()

    url = unescape(share_url(page))
    assert url.startswith("http://testserver/appeals/emergency-appeal/?")
    assert parse_qs(urlsplit(url).query) == {
        "utm_source": ["daily-news"], "utm_medium": ["share"], "utm_campaign": ["floods"],
        "ref": [ODD_REF]}
    assert "<x>" not in page and "ada@example.com" not in page.split("share-h")[1]
    assert "<script" not in page.split("share-h")[1].split("</section>")[0]


@pytest.mark.parametrize("status", [Donation.Status.PENDING, Donation.Status.FAILED,
                                    Donation.Status.CANCELED])
def test_no_share_links_before_the_gift_is_paid(client, demo, status):
    gift = DonationFactory(appeal=demo, status=status, utm_source="daily-news")
    page = client.get(f"/donations/{gift.pk}/thanks/").content.decode()
    assert "Ask a friend" not in page and "share-url" not in page
