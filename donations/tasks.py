"""Celery tasks: thin, id-based, safe to run twice. Each calls one service.

The receipts' tasks are in donations/receipts/tasks.py.
"""

from smtplib import SMTPException

from celery import shared_task

from donations.services import personal_data, reconciliation, regular_gift_notices


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=270)
def reconcile_stripe(older_than_minutes: int = 30) -> None:
    """The scheduler's run: one batch of abandoned and of pending gifts, then the refunds and
    disputes of settled ones (donations/services/reconciliation.py)."""
    reconciliation.reconcile(older_than_minutes=older_than_minutes)


@shared_task(ignore_result=True)
def purge_personal_data() -> None:
    """Storage limitation: donors past the retention period, old card-testing records."""
    personal_data.retention_purge()


@shared_task(
    name="donations.tasks.send_regular_gift_notice",
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
    soft_time_limit=60,
    time_limit=90,
)
def send_regular_gift_notice(notice_id: int) -> None:
    """Email a monthly gift's donor about a failed month or the gift's end, once (the row's
    `sent_at`); retried with backoff while the mail server refuses or is away."""
    regular_gift_notices.regular_gift_notice_send(notice_id=notice_id)


@shared_task(name="donations.tasks.sweep_unsent_regular_gift_notices", ignore_result=True)
def sweep_unsent_regular_gift_notices(older_than_seconds: int = 600) -> None:
    """Queue again monthly gift emails whose first send was lost (a broker outage)."""
    regular_gift_notices.regular_gift_notice_sweep(older_than_seconds=older_than_seconds)
