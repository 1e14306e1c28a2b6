"""Bytes on the wire and requests for the appeal page, measured in Chromium.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/page_weight.py

gunicorn with production-like settings (DEBUG off, static files compressed and hashed by
whitenoise). Counts every request the page makes; splits ours from Stripe.js (the stand-in's
here; js.stripe.com in production). Target: ours under 50 KB compressed, nobody else's.
`weigh` is shared with bench/publisher_feed.py (the embed's weight).
"""

from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from serve import database, gunicorn, standin
from tests.conftest import CHROMIUM_ARGS


def weigh(page_url: str, stripe_url: str) -> dict:
    """Load `page_url` in Chromium (a phone's viewport, nothing cached), print a table of its
    requests and return {"ours"|"stripe"|"other": [requests, bytes]} (compressed, headers
    included)."""
    ours_host, stripe_host = urlsplit(page_url).netloc, urlsplit(stripe_url).netloc
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.on("requestfinished", lambda r: rows.append((r.url, r.sizes(), r)))
        page.goto(page_url, wait_until="networkidle")
        encodings = {r.url: (r.response().headers.get("content-encoding", "-"),
                             r.response().headers.get("cache-control", "-")) for _, _, r in rows}
        browser.close()
    totals = {"ours": [0, 0], "stripe": [0, 0], "other": [0, 0]}
    print("| request | bytes (compressed, with headers) | encoding | cache-control |\n|---|---|---|---|")
    for req_url, sizes, _ in rows:
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        host = urlsplit(req_url).netloc
        who = "ours" if host == ours_host else "stripe" if host == stripe_host else "other"
        totals[who][0] += 1
        totals[who][1] += size
        enc, cc = encodings[req_url]
        print(f"| {urlsplit(req_url).path} | {size} | {enc} | {cc} |")
    print()
    for who, (count, size) in totals.items():
        print(f"{who}: {count} requests, {size / 1024:.1f} KiB")
    return totals


def main():
    with standin() as stripe_url, database() as db_url, gunicorn(db_url) as url:
        weigh(url + "/appeals/emergency-appeal/?utm_source=bench", stripe_url)


if __name__ == "__main__":
    main()
