"""The donor page's Celery task: thin, safe to run twice (a second run emails a second link,
each single-use). Queued by name (core.tasks.enqueue) from donors.services."""

from smtplib import SMTPException

from celery import shared_task

from donors.services import SEND_SIGN_IN_LINK, sign_in_link_send


@shared_task(
    name=SEND_SIGN_IN_LINK,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=120,
    # The link works 60 minutes: past ~10 tries (about 15 minutes) the donor has asked again.
    max_retries=10,
    soft_time_limit=60,
    time_limit=90,
)
def send_sign_in_link(email: str, origin: str, language: str) -> None:
    """Look the address up and, if it gave, email it a sign-in link."""
    sign_in_link_send(email=email, origin=origin, language=language)
