"""The Stripe stand-in as the fault tests run it when it must come back after a crash.

    python tests/faults/standin.py --port P --webhook-url URL --state FILE [--hold-file FILE]

scripts/stripe_standin.py keeps its state in memory, so a restart forgets every
PaymentIntent: real Stripe never does that, and a test of "Stripe went away mid-payment"
would test the stand-in's amnesia. Here the state is written to FILE after every write
request, before the answer goes (atomically: a file renamed over the last one), and read back
at start. A SIGKILL therefore loses only what real Stripe's crash could lose: the answer to
a request it had already carried out.

`--hold-file`: while that file exists, a PaymentIntent confirm is carried out and saved, and
not answered (its id is appended to FILE.held), and no webhook is sent: the moment a crash
takes the answer and the event with it. The test kills the stand-in then, or removes the
file: the held answers go out late (each id appended to FILE.answered as it goes), as to a
request whose database went away meanwhile; their events stay lost.
"""

import argparse
import asyncio
import logging
import os
import pickle
import sys
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import stripe_standin  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--webhook-secret", default="whsec_localstripe_dev")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--hold-file", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log = logging.getLogger("standin")

    store = resources.store
    store.dump_to_disk = lambda: None  # saved once per request below, not per object
    if args.state.exists():
        with args.state.open("rb") as f:
            store.update(pickle.load(f))
        log.warning("state read back: %d objects", len(store))

    def save() -> None:
        part = args.state.with_suffix(".part")
        with part.open("wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, args.state)

    def holding() -> bool:
        return args.hold_file is not None and args.hold_file.exists()

    send_webhook = resources.schedule_webhook

    def schedule_webhook(event):
        if holding():
            log.warning("held: event %s not sent", event.type)
            return
        send_webhook(event)

    resources.schedule_webhook = schedule_webhook
    stripe_standin._keep_payment_method_types()
    stripe_standin._add_confirmation_tokens()
    stripe_standin._report_setup_declines()
    stripe_standin._payment_errors_as_stripe()

    @web.middleware
    async def durable(request, handler):
        held = (request.method == "POST" and request.path.startswith("/v1/payment_intents/")
                and request.path.endswith("/confirm") and holding())
        try:
            return await handler(request)
        finally:
            if request.method in ("POST", "PUT", "DELETE"):
                save()
            if held:
                with open(f"{args.hold_file}.held", "a") as f:
                    f.write(request.path.split("/")[3] + "\n")
                log.warning("held: the answer to %s", request.path)
                while holding():  # until the test kills us or lets the answer go
                    await asyncio.sleep(0.05)
                with open(f"{args.hold_file}.answered", "a") as f:
                    f.write(request.path.split("/")[3] + "\n")

    app = server.app
    # Around everything after the error middleware, the ConfirmationTokens' own answers too
    # (their middleware answers a confirm with a token without localstripe's handler).
    app.middlewares.insert(1, durable)

    async def on_startup(_app):
        asyncio.get_running_loop().create_task(
            stripe_standin._register(args.port, args.webhook_url, args.webhook_secret))

    app.on_startup.append(on_startup)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
