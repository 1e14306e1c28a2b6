"""Real parts for the suite: the Stripe stand-in in its own process, the live server,
Debian's Chromium. Every process started here is stopped here."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# in such a thread unless told the code is synchronous (which it is).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
MUTED = {"url": "http://127.0.0.1:9/muted", "secret": "whsec_muted", "events[]": "lifeline.muted"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def stripe_standin_url():
    """The stand-in on a free loopback port, for the whole session."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/js.stripe.com/v3/")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session", autouse=True)
def _point_stripe_at_standin(stripe_standin_url):
    from django.conf import settings

    from donations import stripe_gateway

    settings.STRIPE_API_BASE = stripe_standin_url
    settings.STRIPE_JS_URL = stripe_standin_url + "/js.stripe.com/v3/"
    stripe_gateway.client.cache_clear()
    yield


@pytest.fixture(autouse=True)
def standin(stripe_standin_url):
    """A clean stand-in for each test, with webhooks muted unless a test asks for them."""
    requests.delete(stripe_standin_url + "/_config/data", timeout=5)
    requests.post(stripe_standin_url + "/_config/webhooks/lifeline", data=MUTED, timeout=5)
    return stripe_standin_url


@pytest.fixture
def webhooks(standin, live_server):
    """The stand-in delivers its events to the live server's /stripe/webhook/."""
    from django.conf import settings

    requests.post(
        standin + "/_config/webhooks/lifeline",
        data={"url": live_server.url + "/stripe/webhook/", "secret": settings.STRIPE_WEBHOOK_SECRET},
        timeout=5,
    ).raise_for_status()
    yield live_server
    requests.post(standin + "/_config/webhooks/lifeline", data=MUTED, timeout=5)


@pytest.fixture
def demo(db):
    """The seeded demo appeals."""
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    from appeals.models import Appeal

    return Appeal.objects.get(slug="emergency-appeal")


# --- browser ------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (390×844, touch), as a reader arriving from an article."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
