"""What a donor's browser would do, done over HTTP against the live server and the stand-in."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.conf import settings
from django.db import connection


# A valid gift of £25.00 to the demo appeal, as the API takes it.
DONATION = {
    "appeal": "emergency-appeal",
    "amount": "25.00",
    "currency": "GBP",
    "email": "donor@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
}


def create_donation(base_url: str, body: dict | None = None, key: str | None = None, **extra):
    data = dict(DONATION)
    data.update(body or {})
    data.update(extra)
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(base_url + "/api/v1/donations/", json=data, headers=headers, timeout=30)


def confirmation_token(number: str, standin: str = "") -> str:
    """A ConfirmationToken for a test card, made at the stand-in as Stripe.js makes it (with
    the publishable key, from the browser, straight to `standin` when given, past any proxy):
    our server is not called."""
    answer = requests.post(
        f"{standin or settings.STRIPE_API_BASE}/v1/confirmation_tokens",
        json={
            "key": settings.STRIPE_PUBLISHABLE_KEY,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            },
        },
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["id"]


def give_card(base_url: str, donation_id: str, number: str) -> requests.Response:
    """The card into a ConfirmationToken as Stripe.js does, then pay on our server."""
    return requests.post(f"{base_url}/api/v1/donations/{donation_id}/pay/",
                         json={"confirmation_token": confirmation_token(number)}, timeout=30)


def eventually(check, *, timeout: float, what: str):
    """Poll `check` until it gives something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s")
        time.sleep(0.1)


@contextlib.contextmanager
def serve_html(body: str):
    """A publisher's site on its own loopback origin, answering `body` to every GET; yields
    its base URL. (Loopback, as Chromium lets only a local page frame a local widget.)"""
    content = body.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
@contextlib.contextmanager
def article_with_widget(appeal, site_url: str, source: str = "daily-news"):
    """A publisher's article on its own origin with the appeal's embed snippet (as the admin's
    attribution report gives it, with `source` as utm_source); yields the article's URL."""
    from attribution.embed import embed_snippet

    snippet = embed_snippet(appeal, site_url.rstrip("/") + "/", source=source)
    with serve_html(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Floods</title></head>"
        f"<body><h1>Floods</h1><p>Report…</p>{snippet}<p>End of article.</p></body></html>"
    ) as url:
        yield url + "/2026/12/floods"


def fire_at_once(*calls):
    """Run the calls in threads released together; their results in order (or raise)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported below, in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a call hung"
    assert not errors, errors
    return results


def appeal_totals(appeal):
    """An appeal's raised and donors, fresh from the database (donors see cached figures)."""
    from appeals.models import Appeal
    from appeals.selectors import Totals, appeals_with_totals

    row = appeals_with_totals(Appeal.objects.filter(pk=appeal.pk)).values(
        "raised_amount", "donor_count"
    )[0]
    return Totals(raised=row["raised_amount"], donors=row["donor_count"])


def discard_page_views() -> None:
    """Forget this process's unwritten page views (attribution.counter): tests start clean."""
    from attribution import counter

    with counter._lock:
        counter._pending.clear()


def send_view_beacon(client, appeal: str = "emergency-appeal", **attribution):
    """What the appeal page's script sends for each view (static/js/attribution.js): the
    landing's utm_*/ref from the address, none when the reader came without them."""
    return client.post("/api/v1/views/", {"appeal": appeal, "kind": "page", **attribution},
                       content_type="application/json")


def set_for_the_session(**values) -> None:
    """Set settings for the rest of the session, whatever a test's `settings` fixture has
    layered on top meanwhile: on the top layer (read now) and on the root (kept after the
    layers are dropped). A plain `settings.X = …` made while a test's override layers are on
    lands in the top layer and is lost when they are dropped; made before them, a later
    restore lands in the layer and the root keeps the old value (a dead proxy's address)."""
    from django.conf import UserSettingsHolder

    root = settings._wrapped
    while isinstance(root, UserSettingsHolder):
        root = root.default_settings
    for name, value in values.items():
        setattr(settings, name, value)
        setattr(root, name, value)
