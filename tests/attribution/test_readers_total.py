"""The embed's "Readers of … gave £X": no query per view, escaped, refunds subtracted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attribution.services import publisher_token_rotate
from donations.models import Donation
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db

EMBED = "/appeals/emergency-appeal/embed/?utm_source=daily-news"


def test_readers_total_costs_no_query_per_view(client, demo):
    DonationFactory(appeal=demo, amount=2500, utm_source="daily-news")
    assert "gave £25.00" in client.get(EMBED).content.decode()  # fills the caches
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(EMBED).content.decode()
        assert "Readers of daily-news gave £25.00 to this appeal" in page
        assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]


def test_readers_total_counts_as_the_appeal_totals_and_escapes_the_name(client, demo):
    publisher_token_rotate(source="daily-news", name="<b>Daily</b> & News")
    DonationFactory(appeal=demo, amount=5000, refunded_amount=2000, utm_source="daily-news",
                    status=Donation.Status.PARTIALLY_REFUNDED)
    DonationFactory(appeal=demo, amount=9900, utm_source="daily-news",
                    status=Donation.Status.FAILED)
    DonationFactory(appeal=demo, amount=7000, utm_source="daily-news",
                    status=Donation.Status.DISPUTED)
    page = client.get(EMBED).content.decode()
    assert "Readers of &lt;b&gt;Daily&lt;/b&gt; &amp; News gave £30.00 to this appeal" in page
