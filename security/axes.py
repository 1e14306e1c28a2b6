"""The client address django-axes records: the card-testing defence's reading of it."""

import ipaddress

from donations.defence import client_ip as defence_client_ip


def client_ip(request) -> str | None:
    """As donations.defence reads it (RATELIMIT_IP_META_KEY), or None when there is no valid
    address (a request built in code, as `Client.force_login` does): axes stores it in a
    GenericIPAddressField, which PostgreSQL checks."""
    value = defence_client_ip(request)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
