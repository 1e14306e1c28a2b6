"""Telling a monthly gift's donor what Stripe reported: a month failed (with a link to put in
a new card), or Stripe gave up and the gift has ended (docs/monthly-gifts.md).

One email per failed invoice, and one per ended gift, however often Stripe reports it (its
retries, a redelivered event, `invoice.payment_failed` and `customer.subscription.updated`
for one failure): each is a RegularGiftNotice row with a unique `key`, made under the gift's
row lock in the transaction that records the event; the email is queued on commit (nothing,
if it rolls back) and sent by a Celery task with retries (donations/tasks.py), no
transaction open while the mail server is talked to (a lease on the row, as receipts do).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _

from core.money import format_money
from core.tasks import enqueue
from donations import leases
from donations.models import RegularGift, RegularGiftEvent, RegularGiftNotice
from donations.services.card_links import card_link_token
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

SEND_REGULAR_GIFT_NOTICE = "donations.tasks.send_regular_gift_notice"
N = RegularGiftNotice.Kind


def notice_failed_month(*, gift: RegularGift, invoice: stripe_gateway.InvoiceState,
                        stripe_event: str = "") -> RegularGiftNotice | None:
    """A later month's invoice failed: one email to the donor for this invoice, with a link
    to the card page. Nothing when the gift is not past due (a declined first card leaves it
    incomplete: the donor is on our page and sees the decline), or the invoice is no longer
    open at Stripe (paid meanwhile by a retry or a new card, voided). Call inside the
    transaction that records the event, with the gift's row locked."""
    if gift.status != RegularGift.Status.PAST_DUE or invoice.status != "open":
        return None
    return _notice(gift, kind=N.PAYMENT_FAILED, key=f"payment_failed:{invoice.id}",
                   stripe_invoice=invoice.id, amount=invoice.amount_due or gift.amount,
                   stripe_event=stripe_event)


def notice_gave_up(*, gift: RegularGift, stripe_event: str = "") -> RegularGiftNotice | None:
    """Stripe gave up on the gift after failed months: one email saying it has ended. Call
    inside the transaction that records the event, with the gift's row locked."""
    return _notice(gift, kind=N.CANCELED, key=f"canceled:{gift.pk}", stripe_invoice="",
                   amount=gift.amount, stripe_event=stripe_event)


def _notice(gift: RegularGift, *, kind: str, key: str, stripe_invoice: str, amount: int,
            stripe_event: str) -> RegularGiftNotice | None:
    if RegularGiftNotice.objects.filter(key=key).exists():
        logger.info("monthly gift notice already made", extra={
            "regular_gift": str(gift.pk), "stripe_event": stripe_event, "kind": kind})
        return None
    try:
        with transaction.atomic():  # a savepoint: the unique key is the backstop of a race
            notice = RegularGiftNotice.objects.create(
                regular_gift=gift, kind=kind, key=key, stripe_invoice=stripe_invoice,
                amount=amount)
    except IntegrityError:
        return None
    regular_gift_notice_queue(notice_id=notice.pk)
    return notice


def regular_gift_notice_queue(*, notice_id: int) -> bool:
    """Queue the notice's email (on commit inside a transaction)."""
    return enqueue(SEND_REGULAR_GIFT_NOTICE, notice_id, log_extra={"notice_id": notice_id})


def regular_gift_notice_sweep(*, older_than_seconds: int) -> int:
    """Queue again the notices not sent this long after they were made (the broker was down
    when the event was recorded, a worker was killed, retries ran out), while their news is
    still true and worth telling (the gift still past due; a card link lasts
    REGULAR_GIFT_CARD_LINK_DAYS). A notice being sent
    now is skipped; a copy of its task that runs later finds it sent. Count them."""
    now = timezone.now()
    still_true = Q(kind=N.CANCELED) | Q(regular_gift__status=RegularGift.Status.PAST_DUE)
    rows = list(
        RegularGiftNotice.objects.filter(
            Q(sending_until__isnull=True) | Q(sending_until__lt=now), still_true,
            sent_at__isnull=True,
            created_at__lte=now - timedelta(seconds=older_than_seconds),
            created_at__gte=now - timedelta(days=settings.REGULAR_GIFT_CARD_LINK_DAYS),
        ).values_list("pk", flat=True)[:500]
    )
    for notice_id in rows:
        regular_gift_notice_queue(notice_id=notice_id)
    return len(rows)


# --- the email ---------------------------------------------------------------------------


def regular_gift_notice_send(*, notice_id: int) -> bool:
    """Email the notice unless it was sent already (True when this call sent it).

    A short update takes a lease on the row (`sending_claim`, `sending_until`; none while
    another sender's lease lasts); the message goes with no transaction open; `sent_at` is
    recorded as soon as the server accepted it, with an `emailed` row in the gift's history.

    :raises smtplib.SMTPException, OSError: the mail server refused or is unreachable (the
        task retries; the attempt and its error are recorded, the lease given back).
    """
    claim = leases.new_token()
    lease = settings.RECEIPT_SEND_LEASE
    now = timezone.now()
    taken = RegularGiftNotice.objects.filter(
        Q(sending_until__isnull=True) | Q(sending_until__lt=now),
        pk=notice_id, sent_at__isnull=True,
    ).update(sending_claim=claim, sending_until=leases.expiry(lease))
    if not taken:
        return False
    claimed = RegularGiftNotice.objects.filter(pk=notice_id)
    notice = claimed.select_related("regular_gift__appeal").get()
    gift_status = notice.regular_gift.status
    if notice.kind == N.PAYMENT_FAILED and gift_status != RegularGift.Status.PAST_DUE:
        # Paid since (Stripe's retry, the donor's page) or ended: news that is no longer true
        # is not sent (the sweep leaves it too).
        claimed.update(sending_claim="", sending_until=None)
        logger.info("failed month's email not sent: the gift is no longer past due",
                    extra={"notice_id": notice_id})
        return False
    message = notice_email(notice)
    mail = get_connection(fail_silently=False)
    try:
        with leases.Renewal(claimed, claim_field="sending_claim", until_field="sending_until",
                            token=claim, seconds=lease):
            mail.send_messages([message])
    except BaseException as exc:
        claimed.filter(sending_claim=claim).update(
            sending_claim="", sending_until=None, attempts=F("attempts") + 1,
            last_error=repr(exc)[:300])
        raise
    finally:
        try:
            mail.close()
        except (smtplib.SMTPException, OSError):
            logger.info("mail server closed the session badly", exc_info=True)
    with transaction.atomic():
        claimed.update(sent_at=timezone.now(), sending_claim="", sending_until=None,
                       attempts=F("attempts") + 1, last_error="")
        # Told of what Stripe reported: the email is Stripe's doing, as the change was.
        RegularGiftEvent.objects.create(
            regular_gift=notice.regular_gift, kind=RegularGiftEvent.Kind.EMAILED,
            by=RegularGift.By.STRIPE, data={"notice": notice.kind, "key": notice.key})
    return True


def notice_email(notice: RegularGiftNotice) -> EmailMultiAlternatives:
    """The notice as an email to the gift's donor (HTML and text), in the gift's language
    (the page's it was made on), as its receipts are (docs/languages.md)."""
    with translation.override(notice.regular_gift.language):
        return _notice_email(notice)


def _notice_email(notice: RegularGiftNotice) -> EmailMultiAlternatives:
    gift = notice.regular_gift
    context = {
        "donor_name": gift.first_name or _("friend"),
        "amount": format_money(notice.amount or gift.amount, gift.currency),
        "appeal": gift.appeal.title,
        "charity_name": settings.CHARITY_NAME,
        "charity_number": settings.CHARITY_NUMBER,
        "link_days": settings.REGULAR_GIFT_CARD_LINK_DAYS,
    }
    if notice.kind == N.PAYMENT_FAILED:
        context["card_url"] = absolute(reverse("pages:regular_gift_card", args=[gift.pk])
                                       + "?" + urlencode({"t": card_link_token(gift)}))
        subject = _("We could not take your monthly gift of %(amount)s") % context
        template = "donations/email/regular_gift_failed"
    else:
        context["appeal_url"] = absolute(reverse("pages:appeal", args=[gift.appeal.slug]))
        subject = _("Your monthly gift of %(amount)s has ended") % context
        template = "donations/email/regular_gift_ended"
    message = EmailMultiAlternatives(
        subject=str(subject), body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[gift.email])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def absolute(path: str) -> str:
    """A link for an email: the site's public address (SITE_URL) and the path."""
    return settings.SITE_URL.rstrip("/") + path
