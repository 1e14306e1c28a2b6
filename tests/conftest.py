"""Real parts for the suite: the Stripe stand-in in its own process, the live server,
Debian's Chromium. Every process started here is stopped here.

The stand-in starts with the first test that uses it (every test outside tests/unit/, whose
conftest.py turns `standin` off), so `make test-fast` starts no process."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# in such a thread unless told the code is synchronous (which it is).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
MUTED = {"url": "http://127.0.0.1:9/muted", "secret": "whsec_muted", "events[]": "lifeline.muted"}


def pytest_configure(config):
    """The test database and broker folders live in var/ (the settings make no folder at
    import; the Makefile's `var` target makes it too)."""
    (ROOT / "var").mkdir(exist_ok=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up, or still booting
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def stripe_standin_url():
    """The stand-in on a free loopback port, from the first test that needs it to the end of
    the session; the app's Stripe settings point at it meanwhile."""
    from gateways import stripe as stripe_gateway
    from tests.helpers import set_for_the_session

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/js.stripe.com/v3/")
        set_for_the_session(STRIPE_API_BASE=url, STRIPE_JS_URL=url + "/js.stripe.com/v3/")
        stripe_gateway.client.cache_clear()
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no cached totals and no unwritten page views (primary keys
    repeat after a flush)."""
    from django.core.cache import cache

    from tests.helpers import discard_page_views

    cache.clear()
    discard_page_views()
    yield
    cache.clear()
    discard_page_views()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in German leaves German active in
    the test's thread, and an appeal made then would have German text only."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def standin(stripe_standin_url):
    """A clean stand-in for each test, with webhooks muted unless a test asks for them."""
    requests.delete(stripe_standin_url + "/_config/data", timeout=5)
    requests.post(stripe_standin_url + "/_config/webhooks/lifeline", data=MUTED, timeout=5)
    return stripe_standin_url


@pytest.fixture
def stripe_calls(standin):
    """Our Stripe calls pass through a proxy that counts them (tests.stripe_proxy)."""
    from tests.stripe_proxy import StripeProxy

    with StripeProxy(standin) as proxy, proxy.serving():
        yield proxy


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


@pytest.fixture
def desktop(browser):
    """A desktop-sized page (1366×900, the most common laptop screen)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# --- mail and the worker -----------------------------------------------------------------


class Inbox:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps what it accepts."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.controller = None
        self.delay_mail_from = 0.0  # seconds to stall at MAIL FROM (a slow server)
        self.open = threading.Event()  # cleared: every MAIL FROM stalls until it is set again
        self.open.set()
        self.mail_from_seen = 0  # MAIL FROM commands received, accepted or not (yet)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        import asyncio

        self.mail_from_seen += 1
        if self.delay_mail_from:
            await asyncio.sleep(self.delay_mail_from)
        while not self.open.is_set():
            await asyncio.sleep(0.05)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages

    def wait_for_mail_from(self, count: int = 1, timeout: float = 30.0) -> bool:
        """Until a sender has reached MAIL FROM `count` times (it is talking to us)."""
        deadline = time.monotonic() + timeout
        while self.mail_from_seen < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.mail_from_seen >= count

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox():
    box = Inbox()
    box.start()
    yield box
    box.stop()


class Worker:
    """A real `celery worker` process on the test database, the test broker and SMTP."""

    def __init__(self, env: dict, concurrency: int = 1, log=None, respawn: bool = False):
        self.env = env
        self.concurrency = concurrency
        self.log = log  # a path for the worker's log, or None to drop it
        self.respawn = respawn  # under scripts/respawn.py, as the Procfiles run it
        self.proc = None

    def start(self):
        wrapper = [sys.executable, "scripts/respawn.py", "--"] if self.respawn else []
        self.proc = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
             f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"test-{free_port()}@%h"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab") if self.log else subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL to the worker and its pool children: a crash, with no clean-up."""
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def process_env(stripe_standin_url, transactional_db):
    """Environment for another process (a worker, a web server) on this test's database,
    broker and stand-in."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "STRIPE_API_BASE": stripe_standin_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    })
    return env


@pytest.fixture
def worker_env(inbox, process_env):
    """Environment for a worker process that shares this test's database and broker."""
    from config.celery_app import app

    app.control.purge()  # nothing left from an earlier run
    return {**process_env, "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}"}


@pytest.fixture
def worker(worker_env):
    w = Worker(worker_env).start()
    yield w
    w.stop()
