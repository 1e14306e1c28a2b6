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
            # nginx's $msec is seconds; some proxies send microseconds ($msec * 1e6).
            if start > 1e14:
                start /= 1e6
            if not math.isfinite(start) or start > received:
                return received
            return start
    return received


class ShedLateRequests:
    """The ASGI app `app`, with requests past their deadline answered 503 unread."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            deadline = deadline_for(scope)
            if deadline is not None:
                now = time.time()
                waited = now - request_start(scope, now)
                if waited > deadline:
                    await self._shed(scope, send, waited)
                    return
        await self.app(scope, receive, send)

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
