"""`Authorization: Token KEY` for the publisher feed only (docs/publishers.md).

Publisher keys and the staff's DRF tokens (finance) are different things in different
tables: this class reads only publisher keys, and the finance views read only DRF's tokens,
so neither opens the other's API. A superuser's token does not open a feed either: the
charity's staff read the same figures in the admin's attribution report.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from attribution.models import PublisherToken
from attribution.services import publisher_key_hash


class PublisherPrincipal:
    """`request.user` on the feed: the publisher, not a person (no Django user)."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, publisher):
        self.publisher = publisher

    def __str__(self):
        return f"publisher:{self.publisher.source}"


class PublisherTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # no key: NotAuthenticated, 401 (authenticate_header)
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send 'Authorization: Token <key>'.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = (PublisherToken.objects.select_related("publisher")
                 .filter(key_hash=publisher_key_hash(key)).first())
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return PublisherPrincipal(token.publisher), token

    def authenticate_header(self, request):
        return self.keyword


class IsThisPublisher(permissions.BasePermission):
    """The key's publisher is the one in the URL (`source`): 403 for another's feed."""

    message = "This key is for another publisher's feed."

    def has_permission(self, request, view):
        token = request.auth
        return (isinstance(token, PublisherToken)
                and token.publisher.source == view.kwargs.get("source"))


class PublisherFeedThrottle(throttling.SimpleRateThrottle):
    """At most PUBLISHER_FEED_RATE requests per publisher key (e.g. "120/hour"): a feed sums
    up to millions of rows (docs/BENCHMARKS.md), and a publisher's dashboard needs a few a
    day. Counted in the shared limits cache (every web process together); 429 with
    Retry-After beyond it."""

    scope = "publisher_feed"
    cache = caches[settings.RATELIMIT_USE_CACHE]

    def get_rate(self):
        return settings.PUBLISHER_FEED_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()  # read per request: the setting may change (tests)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, PublisherToken):
            return None  # refused before this by the permission
        return self.cache_format % {"scope": self.scope, "ident": token.publisher_id}


class PublisherTokenScheme(OpenApiAuthenticationExtension):
    """The feed's key in the OpenAPI schema (/api/schema/)."""

    target_class = "attribution.authentication.PublisherTokenAuthentication"
    name = "publisherToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "A publisher's key, as `Token <key>` "
                               "(`python manage.py publisher_token SOURCE`)."}
