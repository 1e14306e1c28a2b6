"""The receipts' Celery tasks: thin, id-based, safe to run twice. Each calls one service.

Their registered names are the ones they had in donations/tasks.py (the beat schedule and
messages already in the broker carry them); services queue them by those names
(core.tasks.enqueue). config/celery_app.py discovers this module.
"""

import logging
from smtplib import SMTPException

from celery import shared_task
from celery.signals import worker_init, worker_ready
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.contrib.auth import get_user_model

from donations.receipts import fonts
from donations.receipts.sending import (
    RESEND_RECEIPT_EMAIL,
    SEND_RECEIPT_EMAIL,
    receipt_record_send_failure,
    receipt_send,
)
from donations.receipts.sweeper import receipt_sweep_unsent

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name=SEND_RECEIPT_EMAIL,
    ignore_result=True,
    max_retries=20,
    soft_time_limit=60,
    time_limit=90,
)
def send_receipt_email(self, receipt_id: int, chain: str | None = None) -> None:
    """One attempt of the receipt's retry chain; on failure, the next one, with exponential
    backoff (full jitter, at most RECEIPT_RETRY_MAX_SECONDS apart), noted in the row so that
    the sweeper leaves this chain alone until it is overdue. `chain` is None for messages
    queued before chains."""
    try:
        receipt_send(receipt_id=receipt_id, chain=chain)
    except (SMTPException, OSError) as exc:
        retry_in = get_exponential_backoff_interval(
            factor=1, retries=self.request.retries,
            maximum=settings.RECEIPT_RETRY_MAX_SECONDS, full_jitter=True)
        last = self.request.retries >= self.max_retries
        if not receipt_record_send_failure(
            receipt_id=receipt_id, error=repr(exc), chain=chain,
            retry_in=None if last else retry_in,
        ):
            return  # a newer chain has it, or it was sent meanwhile
        if last:
            raise  # the chain ends; the sweeper starts another once it is overdue
        raise self.retry(exc=exc, countdown=retry_in) from exc


@shared_task(
    name=RESEND_RECEIPT_EMAIL,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
    soft_time_limit=60,
    time_limit=90,
)
def resend_receipt_email(receipt_id: int, actor_id: int | None = None) -> None:
    """An admin's resend: the same receipt and number, emailed again."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    receipt_send(receipt_id=receipt_id, resend=True, actor=actor)


@shared_task(name="donations.tasks.sweep_unsent_receipts", ignore_result=True)
def sweep_unsent_receipts(older_than_seconds: int = 120) -> None:
    """Queue again receipts whose email is overdue (a lost message, a broker outage)."""
    count = receipt_sweep_unsent(older_than_seconds=older_than_seconds)
    if count:
        logger.info("queued %d unsent receipt(s) again", count)


@worker_init.connect
def _refuse_without_receipt_fonts(sender=None, **kwargs):
    """A worker cannot make a receipt PDF without its fonts (`make fonts`): it stops at start,
    naming them, rather than retrying every receipt until someone looks."""
    try:
        fonts.check_fonts()
    except fonts.FontsMissing as exc:
        logger.critical("%s", exc)
        raise SystemExit(str(exc)) from None  # not an Exception: Celery's signal lets it out


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs):
    """A worker that starts (or restarts after a crash) queues every unsent receipt at once,
    rather than waiting for a broker's visibility timeout to hand back a lost message. A
    chain that another worker still runs is replaced (its next attempt stops), and a receipt
    whose sender may still be talking to the mail server waits for that sender's lease."""
    sweep_unsent_receipts.delay(older_than_seconds=0)
