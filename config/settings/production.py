"""Production: refuses to start with DEBUG on, the default secret key, no allowed hosts, or
Stripe not configured (the stand-in and its public keys are for development and tests)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import (
    DEBUG,
    INSECURE_DEFAULT_SECRET_KEY,
    SECRET_KEY,
    STAND_IN_PUBLISHABLE_KEY,
    STAND_IN_SECRET_KEY,
    STAND_IN_WEBHOOK_SECRET,
    STRIPE_API_BASE,
    STRIPE_PUBLISHABLE_KEY,
    STRIPE_SECRET_KEY,
    STRIPE_USES_STAND_IN,
    STRIPE_WEBHOOK_SECRET,
    env,
)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG is on: unset it (or set DJANGO_DEBUG=0) in production.")
if not SECRET_KEY or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is unset, too short or the insecure default: set DJANGO_SECRET_KEY "
        "to a random string of 50 characters or more."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is empty: set it to the site's host names, comma-separated."
    )

# Links in emails (a receipt's link to its appeal) and the pages' Open Graph addresses: the
# site's first host over HTTPS unless SITE_URL says otherwise.
if not env("SITE_URL", default="") and "*" not in ALLOWED_HOSTS[0]:
    SITE_URL = f"https://{ALLOWED_HOSTS[0].lstrip('.')}"

# Without STRIPE_SECRET_KEY stripe.py falls back to the stand-in, whose keys and webhook secret
# are in this repo: anyone could sign a "payment succeeded". Each missing name is listed.
_stripe_missing = []
if STRIPE_USES_STAND_IN or STRIPE_SECRET_KEY == STAND_IN_SECRET_KEY:
    _stripe_missing.append("STRIPE_SECRET_KEY (the account's sk_test_… key; sk_live_… with "
                           "STRIPE_ALLOW_LIVE=1)")
if STRIPE_PUBLISHABLE_KEY in ("", STAND_IN_PUBLISHABLE_KEY):
    _stripe_missing.append("STRIPE_PUBLISHABLE_KEY (the matching pk_… key)")
if STRIPE_WEBHOOK_SECRET in ("", STAND_IN_WEBHOOK_SECRET):
    _stripe_missing.append("STRIPE_WEBHOOK_SECRET (the webhook endpoint's own whsec_… signing "
                           "secret, not the stand-in's public one)")
if not STRIPE_API_BASE.startswith("https://") and env("STRIPE_API_BASE", default=""):
    # (Unset, it follows STRIPE_SECRET_KEY: https://api.stripe.com once the key is set.)
    _stripe_missing.append(f"STRIPE_API_BASE to an https:// address, or unset it for "
                           f"https://api.stripe.com (it is {STRIPE_API_BASE}, such as the "
                           f"stand-in's)")
if _stripe_missing:
    raise ImproperlyConfigured(
        "Stripe is not configured for production (the stand-in is for development and tests "
        "only): set " + "; ".join(_stripe_missing) + "."
    )


# HTTPS only (docs/security.md). Behind a proxy that ends TLS, it must set the header named by
# DJANGO_SECURE_PROXY_SSL_HEADER (and strip it from clients); empty: trust none.
_proxy_header = env("DJANGO_SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The switcher's choice (docs/languages.md): no script reads it.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
# A year, on every subdomain, preloadable; lower DJANGO_HSTS_SECONDS while first trying HTTPS.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
