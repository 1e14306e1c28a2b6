"""Stripe.js in the donor's browser: the origins it loads from and calls.

Real Stripe serves it from js.stripe.com and takes its calls at api.stripe.com; the stand-in
serves its fake Stripe.js and answers its calls from its own origin (STRIPE_JS_URL is under
STRIPE_API_BASE), whatever port it runs on.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

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
    """The CSP sources Stripe.js needs: Stripe's hosts, or the stand-in's origin for all
    three."""
    js, api = _origin(js_url), _origin(api_base)
    if js == "https://js.stripe.com":
        return {**REAL_STRIPE, "connect-src": sorted({api, *REAL_STRIPE["connect-src"]})}
    return {"script-src": [js], "frame-src": [js], "connect-src": sorted({js, api})}
