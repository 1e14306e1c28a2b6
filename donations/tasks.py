"""Celery tasks: thin, id-based, safe to run twice. Each calls one service.

The receipts' tasks are in donations/receipts/tasks.py.
"""

from celery import shared_task

from donations.services import personal_data, reconciliation


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=270)
def reconcile_stripe(older_than_minutes: int = 30) -> None:
    """The scheduler's run: one batch of abandoned and of pending gifts, then the refunds and
    disputes of settled ones (donations/services/reconciliation.py)."""
    reconciliation.reconcile(older_than_minutes=older_than_minutes)


@shared_task(ignore_result=True)
def purge_personal_data() -> None:
    """Storage limitation: donors past the retention period, old card-testing records."""
    personal_data.retention_purge()
