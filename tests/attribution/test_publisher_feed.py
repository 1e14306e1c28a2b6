"""The publisher's feed (SPEC: `GET /api/v1/publishers/<source>/stats/`, `publisher_token`):
a scripted mix of views (through the counter) and gifts paid through the Stripe stand-in."""

import csv
import io
import math
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from attribution import counter
from donations.models import Donation
from tests.factories import AppealFactory, DonationFactory
from tests.helpers import confirmation_token

pytestmark = pytest.mark.django_db(transaction=True)

STORY = "https://daily.example/2026/12/floods"
OTHER_STORY = "https://daily.example/2026/12/rebuilding"
FEED = "/api/v1/publishers/daily-news/stats/"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"


def new_key(source: str = "daily-news", **options) -> str:
    out = StringIO()
    call_command("publisher_token", source, stdout=out, stderr=StringIO(), **options)
    return out.getvalue().strip().splitlines()[-1]


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


_donor = iter(range(1, 10_000))


def paid_gift(client, amount: str, *, card: str = CARD_OK, appeal="emergency-appeal",
              currency="GBP", **attribution):
    """A reader's gift as donate.js makes it: the donation, then the card through the
    stand-in. Each from its own address and email (the card-testing defence sees donors)."""
    n = next(_donor)
    address = f"203.0.113.{n % 250 + 1}"
    created = client.post("/api/v1/donations/", {
        "appeal": appeal, "amount": amount, "currency": currency,
        "email": f"reader{n}@example.com", **attribution,
    }, content_type="application/json", REMOTE_ADDR=address)
    assert created.status_code == 201, created.content
    paid = client.post(f"/api/v1/donations/{created.json()['id']}/pay/",
                       {"confirmation_token": confirmation_token(card)},
                       content_type="application/json", REMOTE_ADDR=address)
    return paid


def views(appeal, count: int, **attribution):
    """`count` views counted as the beacon and the embed count them (the counter's service)."""
    for _ in range(count):
        counter.record_view(appeal_id=appeal.pk, kind="page", attribution=attribution)
    counter.flush()


def normal_interval(amounts: list[int], views_counted: int) -> tuple[float, float, float]:
    """Money per 1,000 views and its 95% interval in major units, worked out plainly: each
    view gave a gift's amount or nothing."""
    n = max(views_counted, len(amounts))
    values = [a / 100 for a in amounts] + [0.0] * (n - len(amounts))
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    margin = 1.959964 * math.sqrt(variance / n)
    return mean * 1000, max(0.0, (mean - margin) * 1000), (mean + margin) * 1000


@pytest.fixture
def mix(client, demo):
    """daily-news: story × "end" 200 views and six gifts (one partly refunded, one declined
    first); story × "top" 100 views and four gifts; another story 50 views, no gift, one
    decline. radio: 30 views and five gifts, none of which daily-news may see."""
    views(demo, 200, utm_source="daily-news", ref=STORY, utm_content="end")
    views(demo, 100, utm_source="daily-news", ref=STORY, utm_content="top")
    views(demo, 50, utm_source="daily-news", ref=OTHER_STORY)
    views(demo, 30, utm_source="radio", ref="https://radio.example/")
    end = {"utm_source": "daily-news", "ref": STORY, "utm_content": "end"}
    for amount in ("10.00", "20.00", "25.00", "50.00", "100.00"):
        assert paid_gift(client, amount, **end).json()["status"] == "succeeded"
    # Declined, then paid with another card: a decline, and a gift.
    declined = paid_gift(client, "15.00", card=CARD_DECLINED, **end)
    assert declined.status_code == 402
    donation = Donation.objects.get(status="failed")
    retry = client.post(f"/api/v1/donations/{donation.pk}/pay/",
                        {"confirmation_token": confirmation_token(CARD_OK)},
                        content_type="application/json", REMOTE_ADDR="203.0.113.251")
    assert retry.json()["status"] == "succeeded"
    # A gift partly refunded in the dashboard (£30 less £10) and one never paid.
    DonationFactory(appeal=demo, amount=3000, refunded_amount=1000,
                    status=Donation.Status.PARTIALLY_REFUNDED, **end)
    DonationFactory(appeal=demo, amount=9900, status=Donation.Status.PENDING, **end)
    for amount in ("5.00", "5.00", "5.00", "7.00"):
        paid_gift(client, amount, utm_source="daily-news", ref=STORY, utm_content="top")
    assert paid_gift(client, "9.00", card=CARD_DECLINED, utm_source="daily-news",
                     ref=OTHER_STORY).status_code == 402
    for amount in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        paid_gift(client, amount, utm_source="radio", ref="https://radio.example/")
    return demo


def test_feed_gives_views_gifts_money_and_rate_per_article_and_placement(client, mix):
    key = new_key()
    answer = client.get(FEED, **auth(key))

    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "private, no-store"
    body = answer.json()
    assert body["source"] == "daily-news"
    entries = {(e["ref"], e["placement"]): e for e in body["articles"]}
    assert set(entries) == {(STORY, "end"), (STORY, "top"), (OTHER_STORY, None)}

    end = entries[(STORY, "end")]
    amounts = [1000, 2000, 2500, 5000, 10000, 1500, 2000]  # the refunded gift counts £20
    rate, low, high = normal_interval(amounts, 200)
    assert (end["views"], end["gifts"], end["amount"], end["currency"]) == (
        200, 7, "240.00", "GBP")
    assert end["amount_per_1000_views"] == "1200.00" == f"{rate:.2f}"
    assert abs(float(end["interval"][0]) - low) <= 0.01
    assert abs(float(end["interval"][1]) - high) <= 0.01
    assert float(end["interval"][0]) < 1200 < float(end["interval"][1])
    assert (end["started"], end["declines"]) == (8, None)  # one decline: under five, hidden

    # Four gifts: the money and the rate are hidden, so no single donor stands out.
    top = entries[(STORY, "top")]
    assert top["views"] == 100
    assert [top[f] for f in ("gifts", "amount", "amount_per_1000_views", "interval")] == [
        None] * 4
    other = entries[(OTHER_STORY, None)]
    assert (other["views"], other["gifts"], other["amount"]) == (50, None, None)


def test_feed_has_no_donors_personal_data(client, mix):
    text = client.get(FEED, **auth(new_key())).content.decode()
    for donation in Donation.objects.all():
        assert donation.email not in text
    assert "Ada" not in text and "Lovelace" not in text and "203.0.113" not in text


def test_gifts_in_two_currencies_are_separate_entries(client, demo):
    euros = AppealFactory(slug="euro-appeal", currency="EUR")
    views(demo, 40, utm_source="daily-news", ref=STORY)
    views(euros, 10, utm_source="daily-news", ref=STORY)
    for amount in (1000, 1000, 1000, 1000, 1000):
        DonationFactory(appeal=demo, amount=amount, utm_source="daily-news", ref=STORY)
        DonationFactory(appeal=euros, amount=amount, utm_source="daily-news", ref=STORY)

    entries = client.get(FEED, **auth(new_key())).json()["articles"]

    assert [(e["currency"], e["views"], e["amount"], e["amount_per_1000_views"])
            for e in entries] == [("EUR", 10, "50.00", "5000.00"),
                                  ("GBP", 40, "50.00", "1250.00")]


def test_from_and_to_and_by_day_and_bad_dates(client, demo):
    from attribution.models import PageView
    from attribution.counter import attribution_key

    values = ("daily-news", "", "", "", STORY)
    for day, count in (("2026-11-01", 7), ("2026-11-02", 11)):
        PageView.objects.create(appeal=demo, kind="page", day=day, utm_source="daily-news",
                                ref=STORY, key=attribution_key(values), views=count)
    key = new_key()
    assert client.get(FEED, **auth(key)).json()["articles"][0]["views"] == 18
    only = client.get(FEED + "?from=2026-11-02&to=2026-11-02", **auth(key)).json()
    assert [e["views"] for e in only["articles"]] == [11]
    assert (only["from"], only["to"]) == ("2026-11-02", "2026-11-02")
    daily = client.get(FEED + "?by=day", **auth(key)).json()["articles"]
    assert [(e["day"], e["views"]) for e in daily] == [("2026-11-01", 7), ("2026-11-02", 11)]

    for query, field in (("from=yesterday", "from"), ("to=2026-13-01", "to"),
                         ("from=2026-11-03&to=2026-11-02", "to"), ("from=20261101", "from"),
                         ("by=week", "by")):
        bad = client.get(f"{FEED}?{query}", **auth(key))
        assert bad.status_code == 400, query
        assert list(bad.json()) == [field], query


def test_csv_has_the_same_figures_with_cells_neutralised(client, demo):
    formula = "=HYPERLINK(\"http://evil.example\")"
    views(demo, 20, utm_source="daily-news", ref=formula, utm_content="end")
    for _ in range(5):
        DonationFactory(appeal=demo, amount=2000, utm_source="daily-news", ref=formula,
                        utm_content="end")

    answer = client.get("/api/v1/publishers/daily-news/stats.csv", **auth(new_key()))

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["ref"] == "'" + formula
    assert (row["placement"], row["views"], row["gifts"], row["amount"], row["currency"]) == (
        "end", "20", "5", "100.00", "GBP")
    assert row["amount_per_1000_views"] == "5000.00"
    _, low, high = normal_interval([2000] * 5, 20)  # 5 of 20 readers gave £20
    assert abs(float(row["interval_low"]) - low) <= 0.01
    assert abs(float(row["interval_high"]) - high) <= 0.01


def test_a_key_sees_only_its_own_publishers_feed(client, demo):
    daily, radio = new_key("daily-news"), new_key("radio")
    assert client.get(FEED, **auth(daily)).status_code == 200
    assert client.get("/api/v1/publishers/radio/stats/", **auth(radio)).status_code == 200
    assert client.get(FEED, **auth(radio)).status_code == 403
    assert client.get("/api/v1/publishers/radio/stats.csv", **auth(daily)).status_code == 403
    assert client.get("/api/v1/publishers/nobody/stats/", **auth(daily)).status_code == 403


def test_without_a_key_or_with_a_wrong_one_the_feed_is_closed(client, demo):
    new_key()
    for headers in ({}, auth("not-a-key"), {"HTTP_AUTHORIZATION": "Token"},
                    {"HTTP_AUTHORIZATION": "Bearer x"}):
        answer = client.get(FEED, **headers)
        assert answer.status_code in (401, 403), headers
        assert "articles" not in answer.json()
    assert client.get(FEED).status_code == 401
    assert client.get(FEED)["WWW-Authenticate"] == "Token"


def test_staff_tokens_and_publisher_keys_do_not_open_each_others_api(client, demo):
    boss = User.objects.create_superuser("boss", "boss@example.org", "pw")
    staff_token = Token.objects.create(user=boss).key
    assert client.get("/api/v1/finance/receipts/", **auth(staff_token)).status_code == 200
    assert client.get(FEED, **auth(staff_token)).status_code == 401  # not a publisher key
    client.force_login(boss)
    assert client.get(FEED).status_code in (401, 403)  # nor a signed-in superuser
    client.logout()
    key = new_key()
    assert client.get("/api/v1/finance/receipts/", **auth(key)).status_code == 401


def test_command_prints_the_key_last_and_a_rotated_key_no_longer_works(client, demo):
    out, err = StringIO(), StringIO()
    call_command("publisher_token", "daily-news", "--name", "The Daily News",
                 "--domain", "daily.example", stdout=out, stderr=err)
    first = out.getvalue().strip().splitlines()[-1]
    assert len(first) >= 40 and "daily-news" in err.getvalue()
    assert client.get(FEED, **auth(first)).status_code == 200

    second = new_key()

    assert second != first
    assert client.get(FEED, **auth(first)).status_code == 401
    assert client.get(FEED, **auth(second)).status_code == 200
    from attribution.models import Publisher, PublisherToken

    publisher = Publisher.objects.get(source="daily-news")
    assert (publisher.name, publisher.domain) == ("The Daily News", "daily.example")
    stored = PublisherToken.objects.get(publisher=publisher).key_hash
    assert second not in stored and first not in stored  # only a hash is kept


def test_a_key_asking_too_often_is_told_when_to_come_back(client, demo, settings):
    from django.core.cache import caches

    caches[settings.RATELIMIT_USE_CACHE].clear()
    settings.PUBLISHER_FEED_RATE = "2/min"
    daily, radio = new_key("daily-news"), new_key("radio")
    assert [client.get(FEED, **auth(daily)).status_code for _ in range(2)] == [200, 200]
    refused = client.get(FEED, **auth(daily))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Each key its own count.
    assert client.get("/api/v1/publishers/radio/stats/", **auth(radio)).status_code == 200


def rate_and_error(amounts: list[int], views_counted: int) -> tuple[float, float]:
    """Money per 1,000 views and its standard error, in major units, worked out plainly."""
    n = max(views_counted, len(amounts))
    values = [a / 100 for a in amounts] + [0.0] * (n - len(amounts))
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean * 1000, math.sqrt(variance / n) * 1000


def test_an_editor_sees_which_placement_raised_more_and_whether_it_is_clear(client, demo):
    placements = {  # placement: (views, gifts of the same amount)
        "end": (400, [2000] * 12),  # £600.00 per 1,000 views
        "after-3rd-paragraph": (400, [1000] * 6),  # £150.00
        "sidebar": (400, [1000] * 5 + [2000]),  # £175.00: close to the one above
        "footer": (400, [2000] * 4),  # suppressed: never compared
    }
    for placement, (count, gifts) in placements.items():
        views(demo, count, utm_source="daily-news", ref=STORY, utm_content=placement)
        for amount in gifts:
            DonationFactory(appeal=demo, amount=amount, utm_source="daily-news", ref=STORY,
                            utm_content=placement)
        views(demo, 100, utm_source="daily-news", ref=OTHER_STORY, utm_content=placement)

    body = client.get(FEED, **auth(new_key())).json()

    compared = {(c["placement"], c["versus"]): c for c in body["placements"]}
    assert set(compared) == {("end", "after-3rd-paragraph"), ("end", "sidebar")}
    end = rate_and_error(placements["end"][1], 400)
    for versus in ("after-3rd-paragraph", "sidebar"):
        other = rate_and_error(placements[versus][1], 400)
        difference = end[0] - other[0]
        margin = 1.959964 * math.hypot(end[1], other[1])
        c = compared[("end", versus)]
        assert (c["ref"], c["currency"]) == (STORY, "GBP")
        assert c["difference_per_1000_views"] == f"{difference:.2f}"
        assert abs(float(c["interval"][0]) - (difference - margin)) <= 0.01
        assert abs(float(c["interval"][1]) - (difference + margin)) <= 0.01
        assert c["clear"] is (difference - margin > 0)
    assert compared[("end", "after-3rd-paragraph")]["clear"] is True
    # The sidebar and the paragraph are not compared with each other: each with the best.


def test_close_placements_are_not_called_clear(client, demo):
    for placement, amounts in (("end", [2000] * 6), ("top", [2000] * 5)):
        views(demo, 300, utm_source="daily-news", ref=STORY, utm_content=placement)
        for amount in amounts:
            DonationFactory(appeal=demo, amount=amount, utm_source="daily-news", ref=STORY,
                            utm_content=placement)

    [comparison] = client.get(FEED, **auth(new_key())).json()["placements"]

    assert (comparison["placement"], comparison["versus"]) == ("end", "top")
    assert comparison["difference_per_1000_views"] == "66.67"
    assert float(comparison["interval"][0]) < 0 < float(comparison["interval"][1])
    assert comparison["clear"] is False
