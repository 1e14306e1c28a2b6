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


# The languages Stripe.js's Elements are translated into (docs.stripe.com/js/appendix/
# supported_locales). Ukrainian is not among them.
ELEMENTS_LOCALES = frozenset({
    "ar", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
    "fr-CA", "he", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl",
    "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
})


def elements_locale(language: str | None) -> str:
    """The `locale` for stripe.elements(): the page's language where Stripe has it, else
    "auto" (Stripe picks the browser's language)."""
    language = (language or "").lower()
    base = language.split("-")[0]
    for candidate in (language, base):
        if candidate in ELEMENTS_LOCALES:
            return candidate
    return "auto"
