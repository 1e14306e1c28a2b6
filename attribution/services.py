"""Writes of the attribution app beyond page views: publishers and their feed's tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from attribution.models import Publisher, PublisherToken

KEY_BYTES = 32  # 256 random bits: a hash needs no salt nor slow rounds to keep it unguessable


def publisher_key_hash(key: str) -> str:
    """What is stored of a key (and looked up when one is presented)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def publisher_token_rotate(*, source: str, name: str = "", domain: str = "") -> tuple[Publisher, str]:
    """Make the publisher of `source` if it is new (with `name`, `domain`; given ones replace
    the stored ones) and give it a new key; the old key stops working at once.

    Returns the publisher and the key, which is not stored (only its hash) and cannot be
    shown again.
    """
    key = secrets.token_urlsafe(KEY_BYTES)
    given = {field: value for field, value in (("name", name), ("domain", domain)) if value}
    with transaction.atomic():
        publisher, created = Publisher.objects.select_for_update().get_or_create(
            source=source, defaults=given)
        changed = [field for field, value in given.items() if getattr(publisher, field) != value]
        if changed and not created:
            for field in changed:
                setattr(publisher, field, given[field])
            publisher.save(update_fields=changed)
        PublisherToken.objects.filter(publisher=publisher).delete()
        PublisherToken.objects.create(publisher=publisher, key_hash=publisher_key_hash(key))
    return publisher, key
