"""The appeal page's view beacon: `POST /api/v1/views/`.

The appeal page is the same for every reader and a shared cache serves it
(docs/page-cache.md), so Django no longer sees each view: the page's script
(static/js/attribution.js) sends one beacon per view, with the landing's attribution read
from the address. Counted in memory (attribution.counter, batched, no query per beacon);
a landing's attribution is kept in the reader's cookie, as the middleware keeps it.
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attribution import counter, selectors
from attribution.middleware import from_cookie, from_query, remember
from core import parsers
from core.attribution import ATTRIBUTION_FIELDS

# A beacon is under 2 KB (five values of at most 200 characters, ref 500, and the slug); this
# leaves room for every character written as a \uXXXX escape, and refuses the rest unread.
MAX_BODY_BYTES = 16 * 1024
KINDS = ("page",)  # the embed is counted by its own view, which Django still serves


def _refused(field: str, message: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({field: [message]}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _read_body(request) -> dict | None:
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        return None
    try:
        data = parsers.loads(raw.decode("utf-8"), max_depth=1)
    except ValueError:  # not UTF-8, not JSON, or nested
        return None
    return data if isinstance(data, dict) else None


def _text(value) -> bool:
    """A string the database will store: PostgreSQL refuses NUL, and a lone surrogate
    ("\\ud800" in JSON) cannot be encoded; either would fail the whole batch of views."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Safe without a CSRF token (the cached page cannot carry one: it is the same for everyone):
# the beacon only adds one to a counter and keeps a landing's attribution in the cookie, both
# of which any site can already cause by sending its reader to /appeals/<slug>/?utm_source=….
# Only `application/json` is read, which a browser sends cross-site only after a CORS
# preflight that this server never answers: other sites' pages cannot send it at all.
@csrf_exempt
@require_POST
def page_view_beacon(request):
    """Count one view of an appeal's page; 204. Body: {"appeal": slug, "kind": "page",
    "utm_source": …, "ref": …}. Attribution: the body's (a landing, which the cookie then
    keeps), else the cookie's. Bad input: 400 (404 for an unknown appeal), nothing counted."""
    if request.content_type != "application/json":
        return _refused("non_field_errors", "Send a JSON object (application/json).", 415)
    data = _read_body(request)
    if data is None:
        return _refused("non_field_errors",
                        f"Send a JSON object of at most {MAX_BODY_BYTES} bytes.")
    slug, kind = data.get("appeal"), data.get("kind", "page")
    if not _text(slug) or not slug:
        return _refused("appeal", "The appeal's slug, as a string.")
    if kind not in KINDS:
        return _refused("kind", "Only \"page\".")
    for name in ATTRIBUTION_FIELDS:
        if not _text(data.get(name, "")):
            return _refused(name, "A string, without NUL characters.")
    appeal_id = selectors.appeal_id_for_views(slug)
    if appeal_id is None:
        return _refused("appeal", "No such appeal.", 404)
    landing = from_query(data)
    counter.record_view(appeal_id=appeal_id, kind=kind,
                        attribution=landing or from_cookie(request))
    response = HttpResponse(status=204)
    response["Cache-Control"] = "private, no-store"
    if landing:
        remember(request, response, landing)
    return response
