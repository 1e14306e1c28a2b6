"""Queuing a Celery task from a service: by its name, when the transaction commits.

`enqueue("app.tasks.name", *args)` sends the task at once when no transaction is open, and
when the open one commits otherwise (nothing, if it rolls back): pretix's
`TransactionAwareTask` (src/pretix/base/services/async.py), in one helper. Services name the
task rather than import it, so a tasks module (which calls services) is imported by no
service: the imports go one way, tasks -> services.

A broker outage is logged, not raised: what must be done is in the database already (an
unsent receipt, a request in the history), and the sweepers queue it again.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(name: str, *args, countdown: float | None = None, log_extra: dict | None = None,
            ) -> bool:
    """Send the task registered as `name` with `args`, after `countdown` seconds.

    False when the broker refused it (logged, with `log_extra`). Inside a transaction the
    task is sent on commit, and True only means it will be tried then.
    """
    send = partial(_send, name, args, countdown, log_extra or {})
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(send, robust=True)
        return True
    return send()


def _send(name: str, args: tuple, countdown: float | None, log_extra: dict) -> bool:
    try:
        current_app.send_task(name, args=args, countdown=countdown or None)
    except Exception:  # noqa: BLE001 - kombu raises many kinds; the sweepers retry them all
        logger.warning("could not queue %s", name, exc_info=True, extra=log_extra)
        return False
    return True
