"""Keeps the article's attribution (utm_*, ref) from the landing to the donation form.

A landing with any of the five parameters replaces what was kept (last touch); pages
without them use what the cookie kept, so a reader who wanders to the home page and back
still gives "from" the article. The cookie is first-party, signed, and holds only those
five values: no identifier of the reader.

The appeal page itself is the same for every reader (a shared cache keeps it,
docs/page-cache.md): it sets no cookie; its script's view beacon does (attribution/api.py).
"""

import time
from functools import lru_cache

from django.core import signing
from django.utils.cache import cc_delim_re

from core.attribution import ATTRIBUTION_FIELDS as FIELDS

COOKIE = "lifeline_attribution"
MAX_AGE = 30 * 24 * 3600
SALT = "lifeline.attribution"
LIMITS = {"ref": 500}


def from_query(query) -> dict:
    values = {name: query.get(name, "").strip()[: LIMITS.get(name, 200)] for name in FIELDS}
    return values if any(values.values()) else {}


def from_cookie(request) -> dict:
    try:
        data = signing.loads(request.COOKIES[COOKIE], salt=SALT, max_age=MAX_AGE)
    except (KeyError, signing.BadSignature, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {name: str(data.get(name, ""))[: LIMITS.get(name, 200)] for name in FIELDS}


@lru_cache(maxsize=1024)
def _cookie_value(values: tuple[str, ...], minute: int) -> str:
    # Every reader of one article lands with the same values: sign them once a minute,
    # not on every view (the signature's timestamp is then at most a minute old).
    return signing.dumps(dict(zip(FIELDS, values)), salt=SALT, compress=True)


def remember(request, response, landing: dict) -> None:
    """Keep a landing's attribution (from_query's dict) in the reader's cookie: last touch.
    Used by this middleware and by the appeal page's view beacon (attribution/api.py)."""
    values = tuple(landing.get(name, "") for name in FIELDS)
    response.set_cookie(
        COOKIE, _cookie_value(values, int(time.time() // 60)),
        max_age=MAX_AGE, httponly=True, samesite="Lax", secure=request.is_secure(),
    )


def shared(response) -> bool:
    """True for a response a shared cache may keep (public, or with s-maxage): the appeal
    page. It is the same for every reader, so it carries no reader's cookie."""
    directives = {d.split("=")[0].strip().lower()
                  for d in cc_delim_re.split(response.get("Cache-Control", ""))}
    return "public" in directives or "s-maxage" in directives


class AttributionMiddleware:
    """Sets `request.attribution` (a dict of the five fields, blank ones "")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        landing = from_query(request.GET) if request.method == "GET" else {}
        request.attribution = landing or from_cookie(request) or dict.fromkeys(FIELDS, "")
        response = self.get_response(request)
        if landing and response.status_code == 200 and "text/html" in response.get(
            "Content-Type", ""
        ) and not shared(response):
            remember(request, response, landing)
        return response
