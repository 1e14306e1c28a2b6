"""The client address django-axes records: the card-testing defence's reading of it
(None for a request built in code, as `Client.force_login` does)."""

from donations.defence import client_address as client_ip  # noqa: F401  (AXES_CLIENT_IP_CALLABLE)
