"""Shed a request that waited past its deadline before any work starts (docs/request-deadlines.md).

An ASGI wrapper around Django's handler: it runs on the event loop as the request arrives,
before the body is read and before a thread, a database connection or a view is spent on it.
A request that waited longer than its deadline is answered 503 with Retry-After and
`"shed": true`, so its client knows nothing was done and may send it again.

When it started: `X-Request-Start: t=<unix seconds>` (nginx's `$msec`) when a trusted proxy
set it, else the moment this process received it. A proxy is trusted as core.clients trusts
one: the deployment names the header it sets in RATELIMIT_IP_META_KEY (every request then
comes through it). Without one, a client's own X-Request-Start is ignored: a future time would
let it skip the check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time

from django.conf import settings

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SHED_MESSAGE = "The server was too busy to start this request in time; nothing was done. " \
               "Please try again."


def deadline_for(scope) -> float | None:
    """The seconds this request may wait, or None: never shed."""
    path = scope.get("path", "")
    if path.startswith(settings.REQUEST_DEADLINE_EXEMPT_PATHS):
        return None
    kind = "api_write" if path.startswith("/api/") and scope.get("method") in WRITE_METHODS \
        else "read"
    return settings.REQUEST_DEADLINE_SECONDS[kind] or None


def proxy_trusted() -> bool:
    """A proxy in front is declared (core.clients reads the address it sets)."""
    return settings.RATELIMIT_IP_META_KEY != "REMOTE_ADDR"


def request_start(scope, received: float) -> float:
    """When the request reached us: the trusted proxy's X-Request-Start, else `received`.
    An unreadable or future value counts as `received`."""
    if not proxy_trusted():
        return received
    for name, value in scope.get("headers", ()):
        if name == b"x-request-start":
            text = value.decode("latin-1").strip()
            text = text[2:] if text.startswith("t=") else text
            try:
                start = float(text)
            except ValueError:
                return received
            # nginx's $msec is seconds; other proxies send milliseconds or microseconds.
            if start > 1e14:
                start /= 1e6
            elif start > 1e11:
                start /= 1e3
            if not math.isfinite(start) or start > received:
                return received
            return start
    return received


class ShedLateRequests:
    """The ASGI app `app`, with requests past their deadline answered 503 unread, and at most
    REQUEST_CONCURRENCY_PER_PROCESS of them in Django at once (the others wait on the event
    loop, holding no thread and no database connection, and are shed at their deadline)."""

    def __init__(self, app):
        self.app = app
        self._slots: asyncio.Semaphore | None = None
        self._slots_key = None

    def slots(self) -> asyncio.Semaphore | None:
        """This process's slots (one event loop per gunicorn worker; a test may run several)."""
        bound = settings.REQUEST_CONCURRENCY_PER_PROCESS
        if not bound:
            return None
        key = (asyncio.get_running_loop(), bound)
        if self._slots_key != key:
            self._slots, self._slots_key = asyncio.Semaphore(bound), key
        return self._slots

    async def __call__(self, scope, receive, send):
        deadline = deadline_for(scope) if scope["type"] == "http" else None
        if deadline is None:
            await self.app(scope, receive, send)
            return
        now = time.time()
        start = request_start(scope, now)
        if now - start > deadline:
            await self._shed(scope, send, now - start)
            return
        slots = self.slots()
        if slots is None:
            await self.app(scope, receive, send)
            return
        gate = _SlotGate(slots, receive, until=start + deadline)
        try:
            await self.app(scope, gate.receive, send)
        finally:
            gate.release()
        if gate.shed:
            await self._shed(scope, send, time.time() - start)

    async def _shed(self, scope, send, waited: float) -> None:
        logger.warning("request shed past its deadline",
                       extra={"path": scope.get("path"), "waited": round(waited, 3)})
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"detail": SHED_MESSAGE, "shed": True}).encode()
            kind = b"application/json"
        else:
            body = (f"<!doctype html><title>Busy</title><h1>One moment</h1>"
                    f"<p>{SHED_MESSAGE}</p>").encode()
            kind = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(settings.REQUEST_SHED_RETRY_AFTER).encode()),
            (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": body})


class _SlotGate:
    """Takes a slot once the request's body has arrived, before Django goes on to a thread:
    a client sending its body slowly holds a coroutine, not a slot (docs/web-server.md). No
    slot by `until`: Django is told the client left (it stops before any work, RequestAborted)
    and the request is shed."""

    def __init__(self, slots: asyncio.Semaphore, receive, *, until: float):
        self.slots, self._receive, self.until = slots, receive, until
        self.reading, self.held, self.shed = True, False, False

    async def receive(self):
        message = await self._receive()
        if not self.reading or message["type"] != "http.request" or message.get("more_body"):
            return message
        self.reading = False
        try:
            if self.slots.locked():
                await asyncio.wait_for(self.slots.acquire(), max(self.until - time.time(), 0.001))
            else:
                await self.slots.acquire()
        except TimeoutError:
            self.shed = True
            return {"type": "http.disconnect"}
        self.held = True
        return message

    def release(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()
