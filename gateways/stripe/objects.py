"""Reading the fields Stripe objects share, in either of the shapes Stripe sends them."""

from __future__ import annotations

from datetime import datetime, timezone


def object_id(value) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object (the
    stand-in sends e.g. `latest_charge` expanded, in events too)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get("id", "") if isinstance(value, dict) else getattr(value, "id", "")


def when(epoch) -> datetime | None:
    """A Stripe timestamp (seconds since the epoch, UTC) as an aware datetime."""
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc)
