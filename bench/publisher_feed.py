"""The publisher's feed over 1 million page views, and the embed's page weight.

    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
      nice -n 10 ../.venv/bin/python publisher_feed.py [--runs 3]

A throw-away PostgreSQL database (bench/serve.py: migrated, demo appeals seeded), the Stripe
stand-in and gunicorn (2 ASGI workers, production-like settings). One publisher
(`daily-news`) with a key; 20,000 of its readers' gifts (1,000 of them declined once) across
its articles. Its 1,000,000 views are written to `PageView` twice over (SQL
`generate_series`, seconds), and the feed is timed over HTTP with its key on each:

- **aggregated**: as the counter keeps them (one row per appeal, kind, day and attribution):
  200 articles × 3 placements × page/embed × 30 days = 36,000 rows holding 1,000,000 views,
  beside another publication's 36,000 rows;
- **distinct**: 1,000,000 rows of one view each (no two views share a day and attribution:
  every view from another campaign), across 1,000 articles × 3 placements and 90 days: the
  worst case, if aggregation could not be assumed.

Each request (JSON; JSON `?by=day`; CSV; JSON for one week) is made `--runs` times; the best
and the median seconds are printed, with the answer's size and entries. Then the embed is
loaded in Chromium and its bytes counted (bench/page_weight.py `weigh`).
"""

import argparse
import statistics
import time

import requests

from page_weight import weigh
from serve import database, gunicorn, standin

SOURCE = "daily-news"
FEED = f"/api/v1/publishers/{SOURCE}/stats/"
PLACEMENTS = ("end", "inline", "")
GIFTS, DECLINES = 20_000, 1_000

# One row per article, placement, kind and day: 1,000,000 views over 36,000 rows.
AGGREGATED = """
INSERT INTO attribution_pageview
    (appeal_id, kind, day, utm_source, utm_medium, utm_campaign, utm_content, ref, key, views)
SELECT %(appeal)s, CASE WHEN i %% 2 = 0 THEN 'page' ELSE 'embed' END,
       CURRENT_DATE - ((i / 2) %% 30), %(source)s,
       CASE WHEN i %% 2 = 0 THEN '' ELSE 'embed' END, '',
       (ARRAY['end', 'inline', ''])[1 + (i / 60) %% 3],
       'https://daily.example/article-' || (i / 180), md5(%(source)s || i::text),
       27 + (i < 28000)::int
FROM generate_series(0, 35999) AS i
"""
# One view per row: 1,000,000 rows.
DISTINCT = """
INSERT INTO attribution_pageview
    (appeal_id, kind, day, utm_source, utm_medium, utm_campaign, utm_content, ref, key, views)
SELECT %(appeal)s, 'page', CURRENT_DATE - (i %% 90), %(source)s, '', 'c' || i,
       (ARRAY['end', 'inline', ''])[1 + i %% 3],
       'https://daily.example/article-' || (i %% 1000), md5(i::text), 1
FROM generate_series(0, 999999) AS i
"""


def fill_gifts(appeal) -> None:
    """20,000 paid gifts from the publisher's readers, 1,000 of which were declined first."""
    from donations.models import Donation, DonationEvent

    donations = Donation.objects.bulk_create(
        Donation(appeal=appeal, amount=500 + (k * 37) % 10_000,
                 gift_amount=500 + (k * 37) % 10_000, currency="GBP",
                 email=f"reader{k}@example.com", first_name="Ada", last_name="Lovelace",
                 status="succeeded", utm_source=SOURCE, utm_content=PLACEMENTS[k % 3],
                 ref=f"https://daily.example/article-{k % 200}")
        for k in range(GIFTS)
    )
    DonationEvent.objects.bulk_create(
        DonationEvent(donation=d, source="api", kind="status", from_status="pending",
                      to_status="failed") for d in donations[:DECLINES]
    )


def fill_views(sql: str, appeal_id: int, **extra) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE attribution_pageview")
        cursor.execute(sql, {"appeal": appeal_id, "source": SOURCE})
        if extra.get("other_source"):  # another publication's rows beside these
            cursor.execute(sql, {"appeal": appeal_id, "source": extra["other_source"]})
        cursor.execute("ANALYZE attribution_pageview")
        cursor.execute("SELECT count(*), coalesce(sum(views), 0) FROM attribution_pageview "
                       "WHERE utm_source = %s", [SOURCE])
        return cursor.fetchone()


def time_feed(url: str, key: str, runs: int) -> list[dict]:
    week = time.strftime("%Y-%m-%d", time.localtime(time.time() - 6 * 86400))
    today = time.strftime("%Y-%m-%d")
    results = []
    for label, path in (("JSON", FEED), ("JSON ?by=day", FEED + "?by=day"),
                        ("CSV", FEED.rstrip("/") + ".csv"),
                        ("JSON, last 7 days", f"{FEED}?from={week}&to={today}")):
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = requests.get(url + path, headers={"Authorization": f"Token {key}"},
                                  timeout=600)
            seconds.append(time.perf_counter() - started)
            answer.raise_for_status()
        entries = (len(answer.json()["articles"]) if "json" in answer.headers["Content-Type"]
                   else answer.text.count("\n") - 1)
        results.append({"request": label, "best": min(seconds),
                        "median": statistics.median(seconds), "bytes": len(answer.content),
                        "entries": entries})
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with standin() as stripe_url, database() as db_url, gunicorn(db_url) as url:
        from appeals.models import Appeal
        from attribution.services import publisher_token_rotate

        appeal = Appeal.objects.get(slug="emergency-appeal")
        _, key = publisher_token_rotate(source=SOURCE, name="The Daily News")
        started = time.perf_counter()
        fill_gifts(appeal)
        print(f"{GIFTS} gifts in {time.perf_counter() - started:.1f}s")
        for name, sql, extra in (("aggregated", AGGREGATED, {"other_source": "other-paper"}),
                                 ("distinct", DISTINCT, {})):
            started = time.perf_counter()
            rows, views = fill_views(sql, appeal.pk, **extra)
            print(f"\n### {name}: {rows} rows of {SOURCE}, {views} views "
                  f"(written in {time.perf_counter() - started:.1f}s)\n")
            print("| request | best s | median s | bytes | entries |\n|---|---|---|---|---|")
            for r in time_feed(url, key, args.runs):
                print(f"| {r['request']} | {r['best']:.3f} | {r['median']:.3f} | "
                      f"{r['bytes']} | {r['entries']} |")
        print("\n### the embed, as a reader of the article loads it\n")
        weigh(url + "/appeals/emergency-appeal/embed/?utm_source=daily-news&utm_medium=embed"
              "&ref=https%3A%2F%2Fdaily.example%2Farticle-1", stripe_url)


if __name__ == "__main__":
    main()
