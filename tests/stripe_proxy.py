"""A proxy in front of the Stripe stand-in that a test can stall or make fail, per request.

    with StripeProxy(standin_url) as proxy, proxy.serving():   # the app now talks to it
        proxy.hold("POST", r"/v1/payment_intents/[^/]+/confirm")   # those requests wait…
        proxy.release()                                              # …until released
        proxy.fail("POST", r"/v1/payment_intents$")                # those answer 500
        proxy.answer_late("POST", r"/confirm$")   # carried out at once, answered at release()

A real HTTP hop between the app's Stripe SDK and the stand-in: a slow or failing Stripe as
the app would meet it.
"""

import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class StripeProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.rules: list[tuple[str, str, re.Pattern]] = []  # (action, method, path)
        self.released = threading.Event()
        self.held = 0  # requests stalled so far
        self.seen: list[tuple[str, str]] = []  # every request: (method, path without query)
        self.versions: list[str] = []  # each request's Stripe-Version header ("" if none)
        self.on_request = None  # called as on_request(method, path) before forwarding
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hold(self, method: str, path: str) -> None:
        self.released.clear()
        self.rules.append(("hold", method, re.compile(path)))

    def release(self) -> None:
        self.rules = [r for r in self.rules if r[0] not in ("hold", "late")]
        self.released.set()

    def answer_late(self, method: str, path: str) -> None:
        """Those requests reach Stripe at once (its webhook goes out), and their answers wait
        until release(): a slow network on the way back."""
        self.released.clear()
        self.rules.append(("late", method, re.compile(path)))

    def fail(self, method: str, path: str) -> None:
        self.rules.append(("fail", method, re.compile(path)))

    def heal(self) -> None:
        self.rules = [r for r in self.rules if r[0] != "fail"]

    def count(self, method: str, path_prefix: str) -> int:
        """Requests seen with that method whose path starts with `path_prefix`."""
        with self._lock:
            return sum(1 for m, p in self.seen if m == method and p.startswith(path_prefix))

    def total(self) -> int:
        with self._lock:
            return len(self.seen)

    def _action(self, method: str, path: str) -> str | None:
        for action, m, pattern in list(self.rules):
            if m == method and pattern.search(path.split("?")[0]):
                return action
        return None

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    proxy.seen.append((self.command, self.path.split("?")[0]))
                    proxy.versions.append(self.headers.get("Stripe-Version", ""))
                if proxy.on_request is not None:
                    proxy.on_request(self.command, self.path)
                action = proxy._action(self.command, self.path)
                if action == "hold":
                    proxy.held += 1
                    proxy.released.wait(120)
                elif action == "fail":
                    payload = b'{"error": {"type": "api_error", "message": "proxy says no"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                answer = requests.request(self.command, proxy.upstream + self.path,
                                          data=body, headers=headers, timeout=60)
                if action == "late":
                    proxy.held += 1
                    proxy.released.wait(120)
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.server.shutdown()
        self.server.server_close()

    @contextmanager
    def serving(self):
        """The app's Stripe client (this process: the live server's threads) goes through
        the proxy for the duration."""
        from django.conf import settings

        from gateways import stripe as stripe_gateway
        from tests.helpers import set_for_the_session

        before = settings.STRIPE_API_BASE
        set_for_the_session(STRIPE_API_BASE=self.url)
        stripe_gateway.client.cache_clear()
        try:
            yield self
        finally:
            set_for_the_session(STRIPE_API_BASE=before)
            stripe_gateway.client.cache_clear()
