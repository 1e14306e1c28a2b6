"""The appeal page's view beacon, `POST /api/v1/views/`; and the publisher's feed,
`GET /api/v1/publishers/<source>/stats/` (JSON) and `stats.csv` (docs/publishers.md).

The beacon: the appeal page is the same for every reader and a shared cache serves it
(docs/page-cache.md), so Django no longer sees each view: the page's script
(static/js/attribution.js) sends one beacon per view, with the landing's attribution read
from the address. Counted in memory (attribution.counter, batched, no query per beacon);
a landing's attribution is kept in the reader's cookie, as the middleware keeps it.
"""

import csv
import datetime as dt
import re

from django.http import HttpResponse, JsonResponse
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from attribution import counter, feed, selectors
from attribution.authentication import (
    IsThisPublisher,
    PublisherFeedThrottle,
    PublisherTokenAuthentication,
)
from attribution.middleware import from_cookie, from_query, remember
from core import parsers
from core.attribution import ATTRIBUTION_FIELDS
from core.cells import neutralise

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


# --- the publisher's feed: GET /api/v1/publishers/<source>/stats/ (and stats.csv) ----------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class FeedQuerySerializer(serializers.Serializer):
    """`from`/`to`: YYYY-MM-DD (ASCII digits only), inclusive, in TIME_ZONE; `by`: `day`."""

    to = serializers.CharField(required=False)
    by = serializers.ChoiceField(choices=["day"], required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(required=False)  # a Python keyword
        return fields

    def _date(self, value: str) -> dt.date:
        try:
            if _ISO_DATE.fullmatch(value):
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise serializers.ValidationError("A date, YYYY-MM-DD.")

    def validate_to(self, value):
        return self._date(value)

    def validate(self, attrs):
        if "from" in attrs:
            try:
                attrs["from"] = self._date(attrs["from"])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"from": error.detail}) from None
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["'to' must be on or after 'from'."]})
        return attrs


class PublisherFeedApi(APIView):
    """Only a publisher's own key opens its feed (attribution/authentication.py): no
    session, no staff token. Answers `private, no-store`: it is one publisher's figures."""

    authentication_classes = [PublisherTokenAuthentication]
    permission_classes = [IsThisPublisher]
    throttle_classes = [PublisherFeedThrottle]

    def _entries(self, request, source):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return data, feed.publisher_feed(source=source, date_from=data.get("from"),
                                         date_to=data.get("to"), by_day="by" in data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response


class PublisherStatsApi(PublisherFeedApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="First day, YYYY-MM-DD (inclusive)."),
            OpenApiParameter("to", str, description="Last day, YYYY-MM-DD (inclusive)."),
            OpenApiParameter("by", str, enum=["day"], description="One entry per day too."),
        ],
        responses={200: inline_serializer("PublisherStats", {
            "source": serializers.CharField(),
            "from": serializers.DateField(allow_null=True),
            "to": serializers.DateField(allow_null=True),
            "articles": inline_serializer("PublisherArticle", {
                "day": serializers.DateField(required=False),
                "ref": serializers.CharField(),
                "placement": serializers.CharField(allow_null=True),
                "views": serializers.IntegerField(),
                "gifts": serializers.IntegerField(allow_null=True),
                "amount": serializers.CharField(allow_null=True),
                "currency": serializers.CharField(),
                "amount_per_1000_views": serializers.CharField(allow_null=True),
                "interval": serializers.ListField(child=serializers.CharField(),
                                                  allow_null=True),
                "started": serializers.IntegerField(allow_null=True),
                "declines": serializers.IntegerField(allow_null=True),
            }, many=True),
            "placements": inline_serializer("PlacementComparison", {
                "ref": serializers.CharField(),
                "currency": serializers.CharField(),
                "placement": serializers.CharField(allow_null=True),
                "versus": serializers.CharField(allow_null=True),
                "difference_per_1000_views": serializers.CharField(),
                "interval": serializers.ListField(child=serializers.CharField()),
                "clear": serializers.BooleanField(),
            }, many=True),
        })},
    )
    def get(self, request, source):
        data, entries = self._entries(request, source)
        return Response({
            "source": source,
            "from": data.get("from"),
            "to": data.get("to"),
            "articles": [e.as_json() for e in entries],
            "placements": feed.placement_comparisons(entries),
        })


class PublisherStatsCsv(PublisherFeedApi):
    @extend_schema(exclude=True)
    def get(self, request, source):
        data, entries = self._entries(request, source)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = "-".join(p for p in (f"{slugify(source) or 'publisher'}-stats",
                                    data.get("from") and data["from"].isoformat(),
                                    data.get("to") and data["to"].isoformat()) if p)
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        writer = csv.writer(response)
        writer.writerow(feed.CSV_COLUMNS)
        for entry in entries:
            writer.writerow([neutralise(c) if isinstance(c, str) else c
                             for c in feed.feed_csv_row(entry)])
        return response
