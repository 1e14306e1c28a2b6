"""Production: refuses to start with DEBUG on, the default secret key or no allowed hosts."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DEBUG, INSECURE_DEFAULT_SECRET_KEY, SECRET_KEY, env

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

# HTTPS only (docs/security.md). Behind a proxy that ends TLS, it must set the header named by
# DJANGO_SECURE_PROXY_SSL_HEADER (and strip it from clients); empty: trust none.
_proxy_header = env("DJANGO_SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# A year, on every subdomain, preloadable; lower DJANGO_HSTS_SECONDS while first trying HTTPS.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
