"""Run the Stripe stand-in (localstripe) on loopback, and register our webhook with it.

    python scripts/stripe_standin.py [--port 8420] [--webhook-url URL] [--webhook-secret S]
                                     [--latency-ms MS]

localstripe's own `localstripe` command listens on every interface and reloads a pickle
shared by all instances; this runs its aiohttp app on 127.0.0.1 only, from scratch, with the
pickle off (the state lives in memory, and `make test` beside `make run` must not share it).
The webhook registration is in memory at the stand-in, so it is made again at every start.

One fidelity fix: localstripe takes a PaymentIntent's `payment_method_types` and drops it;
here the PaymentIntent keeps it and answers with it, as real Stripe does (default ["card"]),
so a test can read back what we asked for.

Declines as Stripe reports them (docs/card-testing.md): a card declined while a SetupIntent
is confirmed leaves it in `requires_payment_method` with `last_setup_error` (carrying the
PaymentMethod, so its card's fingerprint) and sends `setup_intent.setup_failed`
(localstripe cancels it and sends nothing); a PaymentIntent's `last_payment_error` carries
its `type` and PaymentMethod too.

`--latency-ms` (or STANDIN_LATENCY_MS) delays every API request (`/v1/…`) by that much before
it is answered, as real Stripe takes hundreds of milliseconds where the stand-in takes one;
the fake Stripe.js file and the `/_config/` calls are served at once.
"""

import argparse
import asyncio
import logging
import os

import aiohttp
from aiohttp import web
from localstripe import resources, server, webhooks
from localstripe.errors import UserError


async def _register(port: int, webhook_url: str, secret: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.post(
                    f"http://127.0.0.1:{port}/_config/webhooks/lifeline",
                    data={"url": webhook_url, "secret": secret},
                ) as response:
                    if response.status == 200:
                        logging.getLogger("standin").warning(
                            "webhook registered: %s", webhook_url
                        )
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


def _latency(milliseconds: int):
    """Middleware: every API request waits `milliseconds` first (the event loop is free
    meanwhile, so concurrent requests wait side by side, as at Stripe)."""
    delay = milliseconds / 1000

    @web.middleware
    async def latency(request, handler):
        if request.path.startswith("/v1/"):
            await asyncio.sleep(delay)
        return await handler(request)

    return latency


def _keep_payment_method_types() -> None:
    original = resources.PaymentIntent.__init__

    def __init__(self, *args, payment_method_types=None, **kwargs):
        original(self, *args, payment_method_types=payment_method_types, **kwargs)
        self.payment_method_types = list(payment_method_types or ["card"])

    resources.PaymentIntent.__init__ = __init__


def _report_setup_declines() -> None:
    original = resources.SetupIntent._attach_pm

    def _attach_pm(self, pm):
        if not pm._attaching_is_declined():
            return original(self, pm)
        message = "Your card was declined."
        self.payment_method, self.status, self.next_action = None, "requires_payment_method", None
        self.last_setup_error = {"type": "card_error", "code": "card_declined",
                                 "decline_code": "generic_decline", "message": message,
                                 "payment_method": pm._export()}
        webhooks.schedule_webhook(resources.Event("setup_intent.setup_failed", self))
        raise UserError(402, message, {"code": "card_declined",
                                       "decline_code": "generic_decline"})

    resources.SetupIntent._attach_pm = _attach_pm
    resources.SetupIntent.last_setup_error = None  # until a confirmation fails


def _payment_errors_as_stripe() -> None:
    original = resources.PaymentIntent.last_payment_error

    @property
    def last_payment_error(self):
        error = original.fget(self)
        if error and error.get("charge") and self.payment_method:
            error = {"type": "card_error", **error, "payment_method":
                     resources.PaymentMethod._api_retrieve(self.payment_method)._export()}
        return error

    resources.PaymentIntent.last_payment_error = last_payment_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("STANDIN_PORT", 8420)))
    parser.add_argument("--webhook-url", default=os.environ.get("WEBHOOK_URL", ""))
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec_localstripe_dev",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=int(os.environ.get("STANDIN_LATENCY_MS") or 0),
        help="delay every API request by this many milliseconds (Stripe-like latency)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")

    resources.store.dump_to_disk = lambda: None  # in memory only: see the docstring
    _keep_payment_method_types()
    _report_setup_declines()
    _payment_errors_as_stripe()

    app = server.app
    if args.latency_ms > 0:
        app.middlewares.insert(0, _latency(args.latency_ms))
    if args.webhook_url:

        async def on_startup(_app):
            asyncio.get_running_loop().create_task(
                _register(args.port, args.webhook_url, args.webhook_secret)
            )

        app.on_startup.append(on_startup)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None,
                handle_signals=True)


if __name__ == "__main__":
    main()
