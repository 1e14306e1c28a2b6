"""The sweeper: a receipt whose retry chain died (a lost message, a broker outage, a killed
worker, retries used up) gets a new one. Run every 15 s by the scheduler, and by each worker
as it starts (donations/receipts/tasks.py)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from donations.models import Receipt
from donations.receipts.sending import receipt_queue_email


def receipt_sweep_unsent(*, older_than_seconds: int) -> int:
    """Start a new retry chain for every unsent receipt whose chain has died: its next
    attempt was due longer ago than `older_than_seconds` (a lost message, a broker outage, a
    killed worker, retries used up). A chain still waiting for its next attempt is left
    alone, so an outage costs one attempt per receipt per backoff step, however long it
    lasts. A receipt whose sender is still (or was, until it crashed) talking to the mail
    server is queued for when its lease ends. Count them."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    never_queued = Q(email_retry_at__isnull=True) & (
        Q(email_queued_at__isnull=True) | Q(email_queued_at__lte=cutoff))
    rows = list(
        Receipt.objects.filter(email_sent_at__isnull=True)
        .filter(never_queued | Q(email_retry_at__lte=cutoff))
        .values_list("pk", "email_sending_until")[:1000]
    )
    for receipt_id, sending_until in rows:
        wait = (sending_until - now).total_seconds() + 1 if sending_until else 0
        receipt_queue_email(receipt_id=receipt_id, countdown=max(wait, 0))
    return len(rows)
