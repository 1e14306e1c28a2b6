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

What the stand-in lacks for Stripe's "finalize payments on the server" flow is added in the
block "ConfirmationTokens" below (docs/card-flow.md lists each difference from Stripe):
the ConfirmationToken object (`POST /v1/confirmation_tokens` from Stripe.js with the
publishable key, `POST /v1/test_helpers/confirmation_tokens` and `GET
/v1/confirmation_tokens/:id` with the secret key), `POST /v1/payment_intents/:id/confirm`
with `confirmation_token` (a second confirm after a decline too, as Stripe allows), and in
the fake Stripe.js the Payment Element, `elements.submit()`, `stripe.createConfirmationToken`
and `stripe.handleNextAction`; and the Express Checkout Element with a test wallet that the
page's URL turns on (`?standin_wallet=1`, or `=<test card>`), whose token is made as a card's.

Stripe's test PaymentMethods that localstripe lacks (`pm_card_threeDSecure2Required`,
`pm_card_chargeDeclined`, `pm_card_authenticationRequired`) are added as the card numbers
Stripe documents for them, and `pm_card_visa_chargeDeclined`/`pm_card_chargeDeclined` are
declined at confirm as at Stripe, for `make stripe-proof` (scripts/stripe_proof.py).

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
import re

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


# Server calls (a secret key) per "METHOD /v1/path" with ids as ":id", read at
# GET /_config/calls: the benches count Stripe calls per gift where Stripe would.
_calls: dict[str, int] = {}
_ID = re.compile(r"/(?:pi|ch|re|dp|ctoken|pm|cus|seti|evt|txn|in|sub)_[A-Za-z0-9]+")


@web.middleware
async def _count_calls(request, handler):
    if request.path.startswith("/v1/") and request.headers.get(
        "Authorization", ""
    ).startswith("Bearer sk_"):
        name = f"{request.method} {_ID.sub('/:id', request.path)}"
        _calls[name] = _calls.get(name, 0) + 1
    return await handler(request)


async def _calls_seen(request):
    return web.json_response(_calls)


def _keep_payment_method_types() -> None:
    original = resources.PaymentIntent.__init__

    def __init__(self, *args, payment_method_types=None, **kwargs):
        original(self, *args, payment_method_types=payment_method_types, **kwargs)
        self.payment_method_types = list(payment_method_types or ["card"])

    resources.PaymentIntent.__init__ = __init__


# --- ConfirmationTokens: Stripe's "finalize payments on the server" flow ------------------
# (kept in one block: the fake Stripe.js part is scripts/standin_stripe_js.js)

STRIPE_JS_EXTENSION = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "standin_stripe_js.js")


class ConfirmationToken(resources.StripeObject):
    """Stripe's ConfirmationToken: the card the Payment Element collected, for one confirm.

    Real Stripe keeps the card data in `payment_method_preview` and makes the PaymentMethod
    at confirm; the stand-in makes the PaymentMethod at once and keeps its id."""

    object = "confirmation_token"
    _id_prefix = "ctoken_"

    def __init__(self, payment_method_data=None, payment_method=None, return_url=None,
                 payment_user_agent=None, **kwargs):
        kwargs.pop("key", None)
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        if payment_method is not None:
            method = resources.PaymentMethod._api_retrieve(payment_method)
        elif isinstance(payment_method_data, dict):
            method = resources.PaymentMethod._api_create(**payment_method_data)
        else:
            raise UserError(400, "Bad request")
        super().__init__()
        self._payment_method = method.id
        self.payment_method_preview = {
            "type": method.type,
            "card": dict(getattr(method, "card", None) or {}),
            "billing_details": method.billing_details,
        }
        self.payment_intent = None
        self.return_url = return_url
        self.use_stripe_sdk = True
        self.expires_at = self.created + 12 * 3600


def _confirm_with_token(payment_intent_id: str, token_id, data: dict):
    """Confirm a PaymentIntent with a ConfirmationToken's card. Unlike localstripe, and as
    Stripe does, a PaymentIntent that a declined card or a failed 3-D Secure left in
    `requires_payment_method` takes another card."""
    token = ConfirmationToken._api_retrieve(token_id)
    if token.payment_intent is not None:
        raise UserError(400, "This ConfirmationToken has already been used.",
                        {"code": "confirmation_token_already_used"})
    pi = resources.PaymentIntent._api_retrieve(payment_intent_id)
    if pi.status not in ("requires_payment_method", "requires_confirmation"):
        raise UserError(400, f"This PaymentIntent's status is {pi.status}.",
                        {"code": "payment_intent_unexpected_state"})
    pi.payment_method = token._payment_method
    pi.latest_charge = None  # the declined charge stays at Stripe, not on the intent
    pi._authentication_failed = False
    token.payment_intent = pi.id
    return resources.PaymentIntent._api_confirm(id=payment_intent_id, **data)


def _add_confirmation_tokens() -> None:
    """The routes, and the fake Stripe.js with the Payment Element, as one middleware placed
    before localstripe's own routes (its router answers the first match)."""
    with open(os.path.join(os.path.dirname(server.__file__), "localstripe-v3.js")) as f:
        js = f.read()
    with open(STRIPE_JS_EXTENSION) as f:
        js += "\n" + f.read()
    confirm_path = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")
    token_path = re.compile(r"^/v1/confirmation_tokens/(ctoken_\w+)$")

    def authorised(request, data) -> bool:
        key = data.pop("key", None)
        return server.get_api_key(request) is not None or (
            isinstance(key, str) and key.startswith("pk_"))

    @web.middleware
    async def confirmation_tokens(request, handler):
        path, method = request.path, request.method
        if method == "GET" and path == "/js.stripe.com/v3/":
            return web.Response(text=js, content_type="application/javascript")
        if method == "POST" and path in ("/v1/confirmation_tokens",
                                         "/v1/test_helpers/confirmation_tokens"):
            data = await server.get_post_data(request, remove_auth=False) or {}
            # Stripe.js makes tokens with the publishable key; the test helper, as at
            # Stripe, takes the secret key only.
            if not (authorised(request, data) if path == "/v1/confirmation_tokens"
                    else server.get_api_key(request) is not None):
                raise UserError(401, "Unauthorized")
            expand = data.pop("expand", None)
            return server.json_response(
                ConfirmationToken._api_create(**data)._export(expand=expand))
        if method == "GET" and token_path.match(path):
            if server.get_api_key(request) is None:
                raise UserError(401, "Unauthorized")
            return server.json_response(
                ConfirmationToken._api_retrieve(token_path.match(path)[1])._export())
        if method == "POST" and confirm_path.match(path):
            data = await server.get_post_data(request, remove_auth=False) or {}
            if "confirmation_token" in data:
                if server.get_api_key(request) is None:
                    raise UserError(401, "Unauthorized")
                expand = data.pop("expand", None)
                token = data.pop("confirmation_token")
                pi = _confirm_with_token(confirm_path.match(path)[1], token, data)
                return server.json_response(pi._export(expand=expand))
        return await handler(request)

    # After localstripe's error middleware (UserError -> Stripe's error body), before its
    # authentication (which knows only its own publishable-key paths).
    server.app.middlewares.insert(1, confirmation_tokens)


# --- Stripe's test PaymentMethods ---------------------------------------------------------
# (docs.stripe.com/testing, "PaymentMethods"; docs.stripe.com/payments/3d-secure/
# authentication-flow, "Test the 3DS flow"). localstripe knows pm_card_visa,
# pm_card_visa_chargeDeclined and pm_card_chargeCustomerFail; the others below are added as
# the card numbers Stripe documents for them, so `make stripe-proof` runs the same ids here
# as at Stripe (scripts/stripe_proof.py).

TEST_PAYMENT_METHODS = {
    "pm_card_chargeDeclined": "4000000000000002",  # generic decline
    "pm_card_threeDSecure2Required": "4000000000003220",  # 3-D Secure 2, always
    "pm_card_authenticationRequired": "4000002500003155",  # 3-D Secure on session
}
# Stripe declines these at confirm (card_declined). The stand-in declines the typed number
# 4000000000000002 only when it is attached to a Customer, and the suite leans on that
# (docs/card-flow.md): only a PaymentMethod made from these ids is declined at charge.
DECLINED_AT_CHARGE = {"pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"}


def _test_payment_methods() -> None:
    original = resources.PaymentMethod._try_get_canonical_test_article.__func__
    charging_is_declined = resources.PaymentMethod._charging_is_declined

    @classmethod
    def _try_get_canonical_test_article(cls, id):
        found = original(cls, id)
        if found is None and id in TEST_PAYMENT_METHODS:
            # As localstripe does for its own: a new PaymentMethod for each use.
            found = resources.PaymentMethod(type="card", card={
                "number": TEST_PAYMENT_METHODS[id], "exp_month": "12", "exp_year": "2034",
                "cvc": "123"})
        if found is not None and id in DECLINED_AT_CHARGE:
            found._declined_at_charge = True
        return found

    def _charging_is_declined(self):
        return getattr(self, "_declined_at_charge", False) or charging_is_declined(self)

    resources.PaymentMethod._try_get_canonical_test_article = _try_get_canonical_test_article
    resources.PaymentMethod._charging_is_declined = _charging_is_declined


# --- Declines as Stripe reports them ------------------------------------------------------

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


# --- Subscriptions as Stripe's current API makes them (docs/monthly-gifts.md) --------------
# localstripe's Subscription takes only `items[].plan` and pays its first invoice at once
# with the customer's default card. Stripe's flow for a card typed on our page is another
# (docs.stripe.com/billing/subscriptions/build-subscriptions): `items[].price_data` (an
# inline Price for a Product), `payment_behavior=default_incomplete` (the first invoice is
# finalized with a PaymentIntent waiting for a card, the subscription `incomplete`), and
# `payment_settings.save_default_payment_method=on_subscription` (the card that pays the
# first invoice pays the months after). Taught here, nothing else changed:
# - `price_data` becomes a Plan of that amount, currency and interval (one per price);
# - `default_incomplete`: the first invoice's PaymentIntent is made unconfirmed, with no
#   card; confirming it (with a ConfirmationToken) pays the invoice and activates the
#   subscription as localstripe does for any invoice's PaymentIntent;
# - `on_subscription`: once that PaymentIntent succeeds, its card is attached to the
#   customer and made `invoice_settings.default_payment_method`, the only card the stand-in
#   pays later invoices with (Stripe keeps it as the subscription's default instead);
# - the invoice answers `confirmation_secret` (Stripe's field since 2025-03-31.basil) beside
#   localstripe's older `payment_intent`.

_starting = {"incomplete": False}


def _subscriptions_as_stripe() -> None:
    original_init = resources.Subscription.__init__
    original_create_invoice = resources.Subscription._create_invoice
    original_paid = resources.Invoice._on_payment_success

    def __init__(self, *args, items=None, payment_behavior="allow_incomplete",
                 payment_settings=None, **kwargs):
        if isinstance(items, list):
            items = [_plan_for(item) for item in items]
        incomplete = payment_behavior == "default_incomplete"
        if payment_settings is not None and not isinstance(payment_settings, dict):
            raise UserError(400, "Bad request")
        self._save_default = (payment_settings or {}).get(
            "save_default_payment_method") == "on_subscription"
        self.payment_settings = payment_settings or {}
        _starting["incomplete"] = incomplete
        try:
            original_init(self, *args, items=items,
                          payment_behavior="allow_incomplete" if incomplete
                          else payment_behavior, **kwargs)
        finally:
            _starting["incomplete"] = False

    def _create_invoice(self):
        if not _starting["incomplete"]:
            return original_create_invoice(self)
        invoice = resources.Invoice(
            customer=self.customer, subscription=self.id, items=list(self.items._list),
            date=self.current_period_start)
        invoice._finalize()
        invoice.billing_reason = "subscription_create"
        pi = resources.PaymentIntent(amount=invoice.total, currency=invoice.currency,
                                     customer=self.customer)
        pi.invoice = invoice.id
        invoice.payment_intent = pi.id

    def _on_payment_success(self):
        if self.subscription and self.payment_intent:
            sub = resources.Subscription._api_retrieve(self.subscription)
            pi = resources.PaymentIntent._api_retrieve(self.payment_intent)
            if getattr(sub, "_save_default", False) and pi.payment_method:
                method = resources.PaymentMethod._api_retrieve(pi.payment_method)
                method.customer = self.customer
                customer = resources.Customer._api_retrieve(self.customer)
                customer.invoice_settings["default_payment_method"] = method.id
        return original_paid(self)

    def confirmation_secret(self):
        if not self.payment_intent:
            return None
        pi = resources.PaymentIntent._api_retrieve(self.payment_intent)
        return {"type": "payment_intent", "client_secret": pi.client_secret}

    resources.Subscription.__init__ = __init__
    resources.Subscription._create_invoice = _create_invoice
    resources.Invoice._on_payment_success = _on_payment_success
    resources.Invoice.confirmation_secret = property(confirmation_secret)


def _plan_for(item):
    """A subscription item's `price_data` as the Plan localstripe bills (the same Plan for the
    same price: its id names the amount, currency, interval and product)."""
    if not isinstance(item, dict) or "price_data" not in item:
        return item
    data = item.pop("price_data")
    try:
        amount = int(data["unit_amount"])
        currency = str(data["currency"]).lower()
        interval = str(data["recurring"]["interval"])
        product = str(data["product"])
        assert amount > 0 and interval in ("day", "week", "month", "year")
    except (KeyError, TypeError, ValueError, AssertionError):
        raise UserError(400, "Bad request")
    plan_id = f"price_{product}_{currency}_{amount}_{interval}"
    try:
        resources.Plan._api_retrieve(plan_id)
    except UserError:
        resources.Plan(id=plan_id, amount=amount, currency=currency, interval=interval,
                       product=product)
    return {**item, "plan": plan_id}



# --- A monthly gift changed or ended as at Stripe (docs/monthly-gifts.md) -------------------
# - `POST /v1/subscription_items/:id` with `price_data` (and `proration_behavior`): Stripe
#   replaces the item's Price, keeping the item; the next invoice bills the new amount.
#   localstripe's generic update refuses `price_data`. With `none`, nothing is prorated (the
#   only behaviour taught: another is a 400 here rather than a silent difference).
# - `DELETE /v1/subscriptions/:id` of a subscription already ended: Stripe answers 404 "No
#   such subscription" (localstripe ends it again and sends a second deletion event).


def _subscription_changes_as_stripe() -> None:
    original_delete = resources.Subscription._api_delete.__func__

    def _update(self, price_data=None, proration_behavior=None, **data):
        if price_data is not None:
            if proration_behavior not in (None, "none"):
                raise UserError(400, "Only proration_behavior=none is taught to the stand-in")
            self.plan = resources.Plan._api_retrieve(
                _plan_for({"price_data": price_data})["plan"])
        if data:
            resources.StripeObject._update(self, **data)

    def _api_delete(cls, id):
        obj = resources.Subscription._api_retrieve(id)
        if obj.status in ("canceled", "incomplete_expired"):
            raise UserError(404, f"No such subscription: '{id}'")
        return original_delete(cls, id)

    resources.SubscriptionItem._update = _update
    resources.Subscription._api_delete = classmethod(_api_delete)


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
    _add_confirmation_tokens()
    _test_payment_methods()
    _report_setup_declines()
    _payment_errors_as_stripe()
    _subscriptions_as_stripe()
    _subscription_changes_as_stripe()

    app = server.app
    app.middlewares.insert(0, _count_calls)
    app.router.add_get("/_config/calls", _calls_seen)
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
