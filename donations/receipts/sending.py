"""Emailing a receipt: its retry chain, the SMTP send protocol, an admin's resend.

No transaction is open while the mail server is talked to (a lease on the receipt row
instead, donations/leases.py); `email_sent_at` is recorded as soon as the server accepted
the message. The tasks that run these (donations/receipts/tasks.py) are queued by name
through core.tasks.enqueue, so this module imports no tasks module.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.tasks import enqueue
from donations import leases
from donations.models import DonationEvent, Receipt
from donations.receipts import documents
from donations.services.transitions import log_event
from donations.states import EventKind

logger = logging.getLogger(__name__)

# The tasks' registered names (donations/receipts/tasks.py): the names they had when they
# lived in donations/tasks.py, which messages already in the broker carry.
SEND_RECEIPT_EMAIL = "donations.tasks.send_receipt_email"
RESEND_RECEIPT_EMAIL = "donations.tasks.resend_receipt_email"


def receipt_queue_email(*, receipt_id: int, countdown: float = 0) -> bool:
    """Start the receipt's retry chain: a new chain token in the row (an older chain, if any
    is still alive, stops at its next attempt), then the first attempt queued. If the broker
    is down the sweeper starts it again later."""
    chain = leases.new_token()
    Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True).update(
        email_chain=chain, email_queued_at=timezone.now(),
        email_retry_at=timezone.now() + timedelta(seconds=countdown),
    )
    return enqueue(SEND_RECEIPT_EMAIL, receipt_id, chain, countdown=countdown,
                   log_extra={"receipt_id": receipt_id})


def receipt_send(*, receipt_id: int, chain: str | None = None, resend: bool = False,
                 actor=None) -> bool:
    """Email the receipt unless it was sent already (True when this call sent it).

    No transaction is open while the mail server is talked to. A short transaction takes a
    lease on the receipt (`email_claim`, `email_sending_until`) and commits; the message goes;
    a second short transaction records `email_sent_at` as soon as the server has accepted it
    (its 250), before the SMTP session is closed. A second copy of the task finds the lease
    and skips; a crashed sender's lease lapses within RECEIPT_SEND_LEASE seconds and the
    sweeper sends it then. A duplicate email needs the sender to die between the server's
    250 and that commit. If the database went away in that instant, we keep trying to record
    the send (RECEIPT_RECORD_PATIENCE seconds) rather than sending again. `email_sent_at` is
    the moment the message was handed to the server.

    `chain` is the retry chain's token (receipt_queue_email): a task of a chain the sweeper
    replaced does nothing.

    :raises smtplib.SMTPException, OSError: the mail server refused or is unreachable
        (the task retries; nothing was recorded but the attempt and its error).
    """
    claim = leases.new_token()
    lease = settings.RECEIPT_SEND_LEASE
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update(of=("self",)).filter(pk=receipt_id).first()
        if receipt is None or (receipt.email_sent_at and not resend):
            return False
        if not resend and chain is not None and receipt.email_chain not in ("", chain):
            return False  # a newer chain has this receipt
        if receipt.email_sending_until and receipt.email_sending_until > timezone.now():
            logger.info("receipt is being sent by another worker",
                        extra={"receipt_id": receipt_id})
            return False
        receipt.email_claim = claim
        receipt.email_sending_until = leases.expiry(lease)
        receipt.save(update_fields=["email_claim", "email_sending_until"])
    claimed = Receipt.objects.filter(pk=receipt_id)
    receipt = claimed.select_related("donation__appeal", "donation__designation").get()
    message = documents.receipt_email(receipt)
    # The same id for every try of one send: if a crash makes us send it twice, mail
    # clients that collapse duplicate Message-IDs show it once. A resend is new mail.
    message.extra_headers["Message-ID"] = documents.message_id(
        receipt, resend=resend, attempt=receipt.email_attempts + 1)
    mail = get_connection(fail_silently=False)
    handed_at = timezone.now()
    try:
        with leases.Renewal(claimed, claim_field="email_claim",
                            until_field="email_sending_until", token=claim, seconds=lease):
            mail.open()
            mail.send_messages([message])  # back after the server's 250: accepted
    except BaseException:
        _close_quietly(mail)
        claimed.filter(email_claim=claim).update(email_claim="", email_sending_until=None)
        raise
    try:
        _record_sent(receipt_id, claim=claim, handed_at=handed_at, resend=resend, actor=actor)
    except (OperationalError, InterfaceError):
        _record_sent_after_outage(receipt_id, handed_at)
    finally:
        _close_quietly(mail)
    return True


def _record_sent(receipt_id: int, *, claim: str, handed_at, resend: bool, actor) -> None:
    """The server took the message: say so, and free the lease, in one short transaction."""
    with transaction.atomic():
        receipt = (Receipt.objects.select_for_update(of=("self",))
                   .select_related("donation").get(pk=receipt_id))
        receipt.email_sent_at = handed_at
        receipt.email_attempts += 1
        receipt.email_last_error = ""
        if receipt.email_claim == claim:
            receipt.email_claim, receipt.email_sending_until = "", None
        receipt.save(update_fields=["email_sent_at", "email_attempts", "email_last_error",
                                    "email_claim", "email_sending_until"])
        log_event(receipt.donation,
                  kind=EventKind.RECEIPT_RESENT if resend else EventKind.RECEIPT_SENT,
                  source=DonationEvent.Source.ADMIN if actor else DonationEvent.Source.SYSTEM,
                  actor=actor, data={"receipt": receipt.number, "to": "donor"})


def _close_quietly(mail) -> None:
    """QUIT after the commit. The message was accepted or refused already: a server that
    hangs up now changes nothing, and must not hide the error being raised, if any."""
    try:
        mail.close()
    except (smtplib.SMTPException, OSError):
        logger.info("mail server closed the session badly", exc_info=True)


def _record_sent_after_outage(receipt_id: int, accepted_at) -> None:
    """The mail server took the receipt but the database dropped us before we recorded it:
    record it as soon as the database is back, so that no one sends it again."""
    deadline = time.monotonic() + settings.RECEIPT_RECORD_PATIENCE
    delay = 0.2
    while True:
        connection.close()  # the broken one; the next query opens a new connection
        try:
            Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True).update(
                email_sent_at=accepted_at, email_attempts=F("email_attempts") + 1,
                email_last_error="", email_claim="", email_sending_until=None,
            )
            logger.warning("receipt recorded as sent after a database outage",
                           extra={"receipt_id": receipt_id})
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                logger.error("receipt emailed but not recorded: it may be sent again",
                             extra={"receipt_id": receipt_id})
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def receipt_queue_resend(*, receipt: Receipt, actor) -> bool:
    """Queue the receipt's email again, same number, at an admin's request."""
    if not enqueue(RESEND_RECEIPT_EMAIL, receipt.pk, getattr(actor, "pk", None),
                   log_extra={"receipt_id": receipt.pk}):
        return False
    log_event(receipt.donation, kind=EventKind.RECEIPT_RESEND_REQUESTED,
              source=DonationEvent.Source.ADMIN, actor=actor, data={"receipt": receipt.number})
    return True


def receipt_record_send_failure(*, receipt_id: int, error: str, chain: str | None = None,
                                retry_in: float | None = None) -> bool:
    """Count a failed attempt; with `retry_in`, note when the chain's next attempt is due
    (the sweeper leaves the receipt to that chain until then). False: this chain was
    replaced by a newer one (or the receipt was sent meanwhile), so it must stop here."""
    unsent = Receipt.objects.filter(pk=receipt_id, email_sent_at__isnull=True)
    current = unsent if chain is None else unsent.filter(email_chain__in=("", chain))
    changes = {"email_attempts": F("email_attempts") + 1, "email_last_error": error[:300]}
    if retry_in is not None:
        changes["email_retry_at"] = timezone.now() + timedelta(seconds=retry_in)
    if current.update(**changes):
        return True
    unsent.update(email_attempts=F("email_attempts") + 1, email_last_error=error[:300])
    return False
