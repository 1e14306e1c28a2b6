"""Leases: a claim on a row, committed, held while a network call runs outside any transaction.

A write transaction held across a call to Stripe or to the mail server makes everyone else
wait for that server: on SQLite every writer (BEGIN IMMEDIATE locks the whole database), on
PostgreSQL whoever needs the row. A lease is written in a short transaction instead (a token
and an expiry on the row), the call runs with nothing open, and the result is written in a
second short transaction. While the call runs, a thread renews the lease every third of its
length, so a slow but live call keeps it, and a crashed process's lease lapses within
`seconds`, after which the work may be taken up again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def new_token() -> str:
    return uuid.uuid4().hex


def expiry(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


class Renewal:
    """Keep `claim_field == token` rows' `until_field` `seconds` ahead until the block ends."""

    def __init__(self, queryset, *, claim_field: str, until_field: str, token: str,
                 seconds: float):
        self.queryset = queryset.filter(**{claim_field: token})
        self.until_field, self.seconds = until_field, seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="lease-renewal")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()

    def _run(self):
        try:
            while not self.stopped.wait(self.seconds / 3):
                try:
                    self.queryset.update(**{self.until_field: expiry(self.seconds)})
                except DatabaseError:  # the lease may lapse; the holder's result still counts
                    logger.warning("could not renew a lease", exc_info=True)
        finally:
            connection.close()  # this thread's own connection
