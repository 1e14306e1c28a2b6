"""Counting page views without a write per view.

Each process adds views up in memory and writes them with one upsert per batch (every few
seconds or few hundred views), so the appeal page stays a cache read under load. A process
killed without warning loses at most that batch; a clean stop writes it (atexit).
"""

import hashlib
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from appeals.models import Appeal
from attribution.models import PageView
from core.attribution import ATTRIBUTION_FIELDS as FIELDS

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
FLUSH_VIEWS = 500

_lock = threading.Lock()
_pending: Counter = Counter()
_since = time.monotonic()


def attribution_key(values: tuple[str, ...]) -> str:
    return hashlib.sha1("\x1f".join(values).encode()).hexdigest()


_day_cache: tuple[float, object] = (0.0, None)


def _today():
    """The charity's local date, worked out at most once a second (it is on every view)."""
    global _day_cache
    now = time.monotonic()
    if now >= _day_cache[0]:
        _day_cache = (now + 1.0, timezone.localdate())
    return _day_cache[1]


def record_view(*, appeal_id: int, kind: str, attribution: dict) -> None:
    """Count one view of an appeal's page or embed; written by the next flush."""
    global _since
    values = tuple(attribution.get(name, "") for name in FIELDS)
    day = _today()
    with _lock:
        _pending[(appeal_id, kind, day, values)] += 1
        due = len(_pending) >= FLUSH_VIEWS or time.monotonic() - _since >= FLUSH_SECONDS
    if due:
        flush_quietly()


def _upsert_sql() -> str:
    table = connection.ops.quote_name(PageView._meta.db_table)
    columns = ["appeal_id", "kind", "day", *FIELDS, "key", "views"]
    # The same statement on PostgreSQL and SQLite (3.24+): add to the row if it exists.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (appeal_id, kind, day, key) "
        f"DO UPDATE SET views = {table}.views + excluded.views"
    )


def flush() -> int:
    """Write the views counted in this process; returns how many rows were touched."""
    global _since
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _since = time.monotonic()
    if not batch:
        return 0
    # An appeal deleted since its views were counted takes its views with it (the foreign
    # key would otherwise fail the batch, on PostgreSQL only at commit).
    live = set(Appeal.objects.filter(pk__in={key[0] for key in batch}).values_list("pk", flat=True))
    rows = [
        (appeal_id, kind, day, *values, attribution_key(values), views)
        for (appeal_id, kind, day, values), views in batch.items() if appeal_id in live
    ]
    if not rows:
        return 0
    # A savepoint inside a request's or a test's transaction: a failure spoils nothing else.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(), rows)
    return len(rows)


def flush_quietly() -> None:
    """flush(), but a page view must never break a page: log and drop the batch."""
    try:
        flush()
    except DatabaseError:
        logger.warning("page views not written", exc_info=True)


def flush_at_exit() -> None:
    if getattr(settings, "ATTRIBUTION_FLUSH_AT_EXIT", True):
        flush_quietly()
