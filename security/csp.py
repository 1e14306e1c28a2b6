"""django-csp's middleware, with Stripe.js's origins added from the settings on each response.

The policy itself is CONTENT_SECURITY_POLICY (config/settings/security.py). Stripe's origins are
read when the header is built, not when the settings load, so a stand-in on another port (the
tests start one) or real Stripe's hosts are always the ones allowed.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

# What Stripe documents for Stripe.js and Elements (stripe.com/docs/security/guide#content-
# security-policy): scripts and frames from js.stripe.com, 3-D Secure frames from
# hooks.stripe.com, calls to api.stripe.com.
REAL_STRIPE = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def stripe_sources(js_url: str, api_base: str) -> dict[str, list[str]]:
    """The sources Stripe.js needs: Stripe's hosts, or the stand-in's origin for all three."""
    js, api = _origin(js_url), _origin(api_base)
    if js == "https://js.stripe.com":
        return {**REAL_STRIPE, "connect-src": sorted({api, *REAL_STRIPE["connect-src"]})}
    return {"script-src": [js], "frame-src": [js], "connect-src": sorted({js, api})}


class StripeCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = {k: list(v) for k, v in (parts.update or {}).items()}
        for directive, sources in stripe_sources(settings.STRIPE_JS_URL,
                                                 settings.STRIPE_API_BASE).items():
            update[directive] = [*update.get(directive, []), *sources]
        parts.update = update
        return parts
