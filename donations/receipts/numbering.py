"""Receipt numbers: gapless, from a counter row locked in the transaction that marks the gift
paid (STYLE §8). `{RECEIPT_PREFIX}-{year}-{n:06d}`, the year the gift's in the charity's time
zone; a unique (year, number) is the backstop. Receipts are never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from donations.models import Donation, DonationEvent, Receipt, ReceiptSequence
from donations.receipts.sending import receipt_queue_email
from donations.services.transitions import log_event
from donations.states import EventKind


def _next_receipt_sequence(year: int) -> int:
    """Take the next number of `year` under the counter's row lock (gapless on rollback)."""
    ReceiptSequence.objects.get_or_create(year=year)  # savepoint inside: safe under races
    counter = ReceiptSequence.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def receipt_issue(*, donation: Donation) -> Receipt:
    """Issue the donation's receipt, once; queue its email when the transaction commits.

    Call inside a transaction holding the donation's row lock. `issued_at` is the gift's
    date (`succeeded_at`: when Stripe charged the card), and the number's year is its
    calendar year in the charity's TIME_ZONE, however late we heard of it.
    """
    existing = Receipt.objects.filter(donation=donation).first()
    if existing is not None:
        return existing
    issued_at = donation.succeeded_at or timezone.now()
    year = timezone.localtime(issued_at).year
    sequence = _next_receipt_sequence(year)
    receipt = Receipt.objects.create(
        donation=donation,
        year=year,
        sequence=sequence,
        number=f"{settings.RECEIPT_PREFIX}-{year}-{sequence:06d}",
        issued_at=issued_at,
        email_queued_at=timezone.now(),
    )
    log_event(donation, kind=EventKind.RECEIPT_ISSUED, source=DonationEvent.Source.SYSTEM,
              data={"receipt": receipt.number})
    receipt_pk = receipt.pk
    transaction.on_commit(lambda: receipt_queue_email(receipt_id=receipt_pk))
    return receipt
