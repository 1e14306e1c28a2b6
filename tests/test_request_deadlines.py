"""Requests that waited past their deadline are shed before any work starts (issue 14,
docs/request-deadlines.md): through the ASGI application gunicorn serves (config/asgi.py),
with Django, the database and the stand-in behind it as in production."""

import asyncio
import json
import os
import threading
import time

import pytest

from donations.models import Donation
from tests.helpers import DONATION

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "10.0.0.2"  # the trusted proxy's own address, as the web server sees it
DONOR = "198.51.100.7"


@pytest.fixture(autouse=True, scope="module")
def _asgi_without_its_environment():
    """config/asgi.py sets DATABASE_POOL and DATABASE_CONN_MAX_AGE in os.environ for the web
    process's settings; imported here, it must not hand them to every process the later
    tests start (Celery workers with a pool each, the fault tests' connection count)."""
    saved = dict(os.environ)
    import config.asgi  # noqa: F401

    os.environ.clear()
    os.environ.update(saved)


async def acall(method, path, *, headers=(), body=b"", client=PROXY, chunks=None):
    """One request through config.asgi.application: (status, headers, body). `chunks`: the
    body's parts as the client sends them, each after its delay in seconds (None: forever)."""
    from config.asgi import application

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": (client, 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    parts = list(chunks) if chunks is not None else [(0, body)]
    messages = []

    async def receive():
        if parts:
            delay, part = parts.pop(0)
            await asyncio.sleep(delay if delay is not None else 3600)
            return {"type": "http.request", "body": part, "more_body": bool(parts)}
        await asyncio.sleep(3600)  # the client stays connected until the answer is sent

    async def send(message):
        messages.append(message)

    await application(scope, receive, send)
    start = messages[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in messages[1:]))


def run(coroutine):
    """Run on an event loop of its own, in a thread (Playwright's sync API, used by the
    browser tests of the same session, keeps a loop running in the main thread)."""
    out = {}

    def go():
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            out["error"] = exc

    thread = threading.Thread(target=go)
    thread.start()
    thread.join(60)
    if "error" in out:
        raise out["error"]
    return out["value"]


def call(method, path, **kwargs):
    return run(acall(method, path, **kwargs))


def started(seconds_ago):
    return ("X-Request-Start", f"t={time.time() - seconds_ago:.3f}")


def forwarded(*extra):
    return (("X-Forwarded-For", DONOR), *extra)


@pytest.fixture
def behind_proxy(settings):
    """The deployment declares its proxy (core.clients reads the address it sets)."""
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"


def test_a_gift_that_waited_past_its_deadline_is_shed_and_nothing_is_made(
    demo, behind_proxy, stripe_calls
):
    body = json.dumps(DONATION).encode()
    status, headers, answer = call("POST", "/api/v1/donations/", body=body,
                                   headers=forwarded(started(25)))

    assert status == 503
    assert int(headers["retry-after"]) >= 1
    assert headers["content-type"] == "application/json"
    assert json.loads(answer)["shed"] is True
    assert Donation.objects.count() == 0
    assert stripe_calls.total() == 0  # no PaymentIntent, nothing at Stripe

    # The same request, fresh: served.
    status, _, answer = call("POST", "/api/v1/donations/", body=body,
                             headers=forwarded(started(0.5)))
    assert status == 201, answer
    assert Donation.objects.count() == 1


def test_a_page_that_waited_past_its_deadline_is_shed_as_html(demo, behind_proxy):
    status, headers, answer = call("GET", "/appeals/emergency-appeal/",
                                   headers=forwarded(started(11)))
    assert status == 503 and "retry-after" in headers
    assert headers["content-type"].startswith("text/html")
    assert b"try again" in answer

    status, _, answer = call("GET", "/appeals/emergency-appeal/", headers=forwarded(started(1)))
    assert status == 200 and b"Emergency Appeal" in answer


@pytest.mark.parametrize("scale", [1, 1000, 1_000_000])  # seconds (nginx), ms, µs
def test_a_stale_start_is_read_in_seconds_milliseconds_or_microseconds(demo, behind_proxy, scale):
    stale = f"t={(time.time() - 30) * scale:.0f}" if scale > 1 else started(30)[1]
    status, _, _ = call("GET", "/appeals/emergency-appeal/",
                        headers=forwarded(("X-Request-Start", stale)))
    assert status == 503


def test_webhooks_and_health_checks_are_never_shed(demo, behind_proxy):
    long_ago = started(3600)
    status, _, _ = call("GET", "/healthz", headers=forwarded(long_ago))
    assert status == 200
    # An unsigned event: Django's webhook view itself answers (400), not the deadline.
    status, _, answer = call("POST", "/stripe/webhook/", body=b"{}", headers=forwarded(long_ago))
    assert status == 400 and b"shed" not in answer


def test_a_clients_own_request_start_is_ignored_without_a_trusted_proxy(demo, stripe_calls):
    """No proxy declared (RATELIMIT_IP_META_KEY is REMOTE_ADDR): the header is the client's."""
    body = json.dumps(DONATION).encode()
    status, _, answer = call("POST", "/api/v1/donations/", body=body, client=DONOR,
                             headers=[started(3600)])
    assert status == 201, answer
    assert Donation.objects.count() == 1


@pytest.mark.parametrize("value", ["t=soon", "t=nan", f"t={time.time() + 3600:.3f}", ""])
def test_an_unreadable_or_future_request_start_counts_as_now(demo, behind_proxy, value):
    status, _, _ = call("GET", "/appeals/emergency-appeal/",
                        headers=forwarded(("X-Request-Start", value)))
    assert status == 200


APPEAL_API = "/api/v1/appeals/emergency-appeal/"


async def until(check, seconds=15.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


def test_a_request_waiting_for_a_busy_process_past_its_deadline_is_shed(
    demo, settings, stripe_calls
):
    """At most REQUEST_CONCURRENCY_PER_PROCESS requests in Django at once; one that waits for
    a slot past its deadline is shed without running, and the one in Django finishes."""
    settings.REQUEST_CONCURRENCY_PER_PROCESS = 1
    settings.REQUEST_DEADLINE_SECONDS = {"api_write": 20.0, "read": 1.0}
    stripe_calls.hold("POST", r"/v1/payment_intents$")  # the gift's PaymentIntent is slow

    async def scene():
        gift = asyncio.create_task(acall("POST", "/api/v1/donations/", client=DONOR,
                                         body=json.dumps(DONATION).encode()))
        await until(lambda: stripe_calls.held == 1)
        began = time.monotonic()
        waiting = await acall("GET", APPEAL_API, client=DONOR)
        waited = time.monotonic() - began
        stripe_calls.release()
        return waiting, waited, await gift

    (status, headers, answer), waited, (gift_status, _, _) = run(scene())
    assert status == 503 and json.loads(answer)["shed"] is True and "retry-after" in headers
    assert 0.9 < waited < 5
    assert gift_status == 201
    assert call("GET", APPEAL_API, client=DONOR)[0] == 200  # the slot is free again


def test_a_client_sending_its_body_slowly_holds_no_slot(demo, settings):
    settings.REQUEST_CONCURRENCY_PER_PROCESS = 1

    async def scene():
        slow = asyncio.create_task(acall("POST", "/api/v1/donations/", client=DONOR,
                                         chunks=[(0, b'{"appeal": '), (None, b"")]))
        await asyncio.sleep(0.2)
        served = await acall("GET", APPEAL_API, client=DONOR)
        slow.cancel()
        return served

    assert run(scene())[0] == 200
