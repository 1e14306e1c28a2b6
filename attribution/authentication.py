"""`Authorization: Token KEY` for the publisher feed only (docs/publishers.md).

Publisher keys and the staff's DRF tokens (finance) are different things in different
tables: this class reads only publisher keys, and the finance views read only DRF's tokens,
so neither opens the other's API. A superuser's token does not open a feed either: the
charity's staff read the same figures in the admin's attribution report.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions

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
