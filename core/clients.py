"""Who is asking: the client's address, read one way for every app (the card-testing
defence's limits, the idempotency key's scope, the Gift Aid declaration, django-axes)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's address, or None when there is no valid one (a request built in code):
    REMOTE_ADDR, or the last hop a trusted proxy appended to the header named by
    RATELIMIT_IP_META_KEY. One reading for the defence, the Gift Aid declaration and the
    admin login throttle (django-axes, AXES_CLIENT_IP_CALLABLE), which store it in
    GenericIPAddressFields."""
    value = request.META.get(settings.RATELIMIT_IP_META_KEY) or request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address((value or "").split(",")[-1].strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """client_address(), as recorded ("unknown" when there is none)."""
    return client_address(request) or "unknown"


def client_key(request) -> str:
    """The client, as the limits count it: its IPv4 address, or its IPv6 /64 (a household,
    an office or a phone is given a whole /64, so one address in it is as good as another)."""
    address = client_address(request)
    if address is None:
        return "unknown"
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address
