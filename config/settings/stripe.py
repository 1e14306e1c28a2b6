"""Stripe: the account's keys, or the local stand-in (localstripe) on STRIPE_API_BASE when
STRIPE_SECRET_KEY is unset, through the same SDK code path. Malformed or live keys are refused
here, at start-up."""

import re

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# Stripe. No key: the local stand-in on STRIPE_API_BASE (production.py refuses that).
# Fake test keys that only the stand-in accepts, and its webhook secret: public, in this repo.
STAND_IN_SECRET_KEY = "sk_test_localstripe"
STAND_IN_PUBLISHABLE_KEY = "pk_test_localstripe"
STAND_IN_WEBHOOK_SECRET = "whsec_localstripe_dev"
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_USES_STAND_IN = not STRIPE_SECRET_KEY
if STRIPE_USES_STAND_IN:
    STRIPE_SECRET_KEY = STAND_IN_SECRET_KEY
    STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default=STAND_IN_PUBLISHABLE_KEY)
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=STAND_IN_WEBHOOK_SECRET)
    STRIPE_JS_URL = STRIPE_API_BASE.rstrip("/") + "/js.stripe.com/v3/"
else:
    STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
STRIPE_ALLOW_LIVE = env.bool("STRIPE_ALLOW_LIVE", default=False)
# Webhooks signed longer ago than this are refused (Stripe's own default).
STRIPE_WEBHOOK_TOLERANCE = 300
STRIPE_TIMEOUT = env.int("STRIPE_TIMEOUT", default=20)
# The payment method types of every PaymentIntent we create ("card,sepa_debit"…). Stripe's
# names are lower-case words joined by "_"; a malformed list is refused here, at start-up,
# not by Stripe at a donor's first gift. (Whether the account has a type enabled only Stripe
# knows: it answers that at PaymentIntent creation.)
STRIPE_PAYMENT_METHOD_TYPES = [
    name.strip() for name in env("STRIPE_PAYMENT_METHOD_TYPES", default="card").split(",")
]
if not all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name)
           for name in STRIPE_PAYMENT_METHOD_TYPES) \
        or len(set(STRIPE_PAYMENT_METHOD_TYPES)) != len(STRIPE_PAYMENT_METHOD_TYPES):
    raise ImproperlyConfigured(
        f"STRIPE_PAYMENT_METHOD_TYPES={','.join(STRIPE_PAYMENT_METHOD_TYPES)!r} is not a "
        "comma-separated list of Stripe payment method types such as 'card' or "
        "'card,sepa_debit' (lower-case names, no empty or repeated item)."
    )

if STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_")) and not STRIPE_ALLOW_LIVE:
    # Every entry point (manage.py, gunicorn, celery) loads settings, so this refuses all.
    raise ImproperlyConfigured(
        f"STRIPE_SECRET_KEY is a live key ({STRIPE_SECRET_KEY[:8]}…): Lifeline runs in test "
        "mode. Use an sk_test_ key, or set STRIPE_ALLOW_LIVE=1 to take real money."
    )
