"""Attribution: kept from the article to the gift, counted by us, reported to the publisher."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attribution.embed import embed_snippet
from attribution.models import PageView
from donations.models import Donation
from tests.factories import DonationFactory
from tests.helpers import DONATION, discard_page_views, send_view_beacon

pytestmark = pytest.mark.django_db

ARTICLE = "https://news.example/2026/11/floods"
REPORT = "/admin/reports/appeals/emergency-appeal/attribution/"
S = Donation.Status


@pytest.fixture(autouse=True)
def _no_views_from_other_tests():
    discard_page_views()
    yield
    discard_page_views()


def flushed_views() -> list[PageView]:
    from attribution import counter

    counter.flush()
    return list(PageView.objects.filter(kind="page"))


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def give(client, **attribution):
    """A gift through the API from this reader's browser (its cookies), as donate.js sends it:
    the form's hidden attribution inputs, filled only on a landing."""
    answer = client.post("/api/v1/donations/", {**DONATION, **attribution},
                         content_type="application/json")
    assert answer.status_code == 201, answer.content
    return Donation.objects.get(pk=answer.json()["id"])


def test_attribution_survives_wandering_to_the_home_page_and_back(client, demo):
    send_view_beacon(client, utm_source="news", utm_campaign="floods", ref=ARTICLE)
    client.get("/")
    client.get("/appeals/emergency-appeal/")
    send_view_beacon(client)  # back on the page, with no parameters in the address

    gift = give(client)
    assert (gift.utm_source, gift.utm_campaign, gift.ref) == ("news", "floods", ARTICLE)
    counted = {(v.utm_source, v.utm_campaign, v.ref): v.views for v in flushed_views()}
    assert counted == {("news", "floods", ARTICLE): 2}  # the return counted for the article


def test_a_new_article_replaces_what_an_old_one_left(client, demo):
    send_view_beacon(client, utm_source="news", utm_campaign="floods", ref=ARTICLE)
    send_view_beacon(client, utm_source="radio")
    send_view_beacon(client)

    gift = give(client)
    assert (gift.utm_source, gift.utm_campaign, gift.ref) == ("radio", "", "")


def test_the_forms_attribution_wins_over_the_cookie(client, demo):
    send_view_beacon(client, utm_source="news")
    gift = give(client, utm_source="radio", ref="https://radio.example/")
    assert (gift.utm_source, gift.ref) == ("radio", "https://radio.example/")


def test_a_forged_attribution_cookie_is_ignored(client, demo):
    client.cookies["lifeline_attribution"] = "utm_source=evil"
    send_view_beacon(client)
    assert give(client).utm_source == ""
    assert [v.utm_source for v in flushed_views()] == [""]


def test_appeal_page_answers_from_the_cache_with_no_query(client, demo):
    client.get("/appeals/emergency-appeal/")  # renders and fills the cache
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/appeals/emergency-appeal/?utm_source=news")
        assert answer.status_code == 200
        assert len(queries) == 0


def test_appeal_page_renders_with_the_same_queries_however_many_gifts(client, demo):
    from django.core.cache import cache

    def queries_for_a_fresh_render():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get("/appeals/emergency-appeal/")
        return len(queries)

    queries_for_a_fresh_render()  # once-per-process reads (the defence switch…) out of the way
    before = queries_for_a_fresh_render()
    for amount in (1000, 2500, 5000):
        DonationFactory(appeal=demo, amount=amount, status=S.SUCCEEDED)
    assert queries_for_a_fresh_render() == before


def test_report_counts_views_gifts_money_and_conversion_per_article(admin_client, client, demo):
    for _ in range(4):
        send_view_beacon(client, utm_source="news", utm_campaign="floods", ref=ARTICLE)
    client.get(f"/appeals/emergency-appeal/embed/?utm_source=news&ref={ARTICLE}")
    send_view_beacon(client, utm_source="radio")
    DonationFactory(appeal=demo, amount=2500, status=S.SUCCEEDED, utm_source="news",
                    utm_campaign="floods", ref=ARTICLE)
    DonationFactory(appeal=demo, amount=5000, status=S.SUCCEEDED, utm_source="news",
                    utm_campaign="floods", ref=ARTICLE)
    DonationFactory(appeal=demo, amount=9900, status=S.FAILED, utm_source="news",
                    utm_campaign="floods", ref=ARTICLE)

    answer = admin_client.get(REPORT)

    assert answer.status_code == 200
    page = answer.content.decode()
    assert ARTICLE in page and "£75.00" in page and "50%" in page  # 2 gifts / 4 views
    rows = list(csv.DictReader(io.StringIO(admin_client.get(REPORT + "?format=csv").content.decode())))
    by_key = {(r["utm_source"], r["utm_medium"], r["utm_campaign"], r["ref"]): r for r in rows}
    floods = by_key[("news", "", "floods", ARTICLE)]
    assert (floods["page_views"], floods["gifts"], floods["raised"]) == ("4", "2", "75.00")
    assert floods["conversion"] == "0.5000"
    embed = by_key[("news", "embed", "", ARTICLE)]  # the widget marks its medium
    assert (embed["embed_views"], embed["gifts"]) == ("1", "0")
    assert by_key[("radio", "", "", "")]["page_views"] == "1"
    assert sum(v.views for v in PageView.objects.all()) == 6  # a handful of rows, counted up
    assert PageView.objects.count() == 3


def test_report_csv_cannot_run_a_formula_in_the_publishers_spreadsheet(admin_client, client, demo):
    send_view_beacon(client, ref='=HYPERLINK("http://evil")')
    body = admin_client.get(REPORT + "?format=csv").content.decode()
    assert "'=HYPERLINK" in body


def test_report_is_for_admins_only(client, demo):
    assert client.get(REPORT).status_code == 302  # to the admin login
    staff = User.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(REPORT).status_code == 403


def test_embed_snippet_frames_the_widget_and_adds_the_article(demo):
    snippet = embed_snippet(demo, "https://give.example/", source="daily-news")
    assert 'data-src="https://give.example/appeals/emergency-appeal/embed/' in snippet
    assert "utm_source=daily-news" in snippet and 'searchParams.set("ref"' in snippet
    assert 'e.origin==="https://give.example"' in snippet
