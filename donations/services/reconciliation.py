"""Bring the books in line with Stripe, for the webhooks that never came.

One run (the `reconcile_stripe` command; the scheduler's task every 5 minutes) makes three
passes, each bounded, and never faster than RECONCILE_STRIPE_RATE calls a second
(docs/reconciliation.md has the sums):

1. Abandoned gifts: pending or failed, untouched for DONATION_EXPIRE_HOURS. Each is read
   once more and canceled at Stripe and here (2 calls, once in its life); then no pass reads
   it again.
2. Pending gifts older than the cut-off: re-read, RECONCILE_BATCH at most a run, taken in
   turn (a cursor on their creation time), so that a flood of abandoned gifts costs a run no
   more than a batch.
3. Settled gifts: Stripe's refunds made since the last complete pass (listed newest first:
   one call a hundred; then one charge read per gift of ours they touch), and the disputes
   opened in the last RECONCILE_SETTLED_DAYS (listed: one call a hundred, whatever their
   status now, so a dispute won or lost long after it opened is seen too).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from donations.models import Donation, DonationEvent, ReconcileCursor, StripeEvent
from donations.services.refunds import donation_of_charge, donation_sync_refunds
from donations.services.regular_gifts import regular_gift_reconcile
from donations.services.stripe_events import (
    donation_expire,
    donation_record_dispute,
    donation_sync,
)
from donations.states import OPEN, PAID
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

SOURCE = DonationEvent.Source.RECONCILE
S = Donation.Status
# Refunds and events listed again from a little before the last run: Stripe's lists may
# show a write a moment late. One in the overlap costs one more read, once or twice.
REFUND_OVERLAP = timedelta(minutes=10)
COUNTS = ("checked", "changed", "expired", "refunds_seen", "refunds_applied", "disputes_seen",
          "monthly_seen", "monthly_applied", "errors")


class Pace:
    """At most `rate` Stripe calls a second: waits before a call that would go faster."""

    def __init__(self, rate: int):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0
        self.calls = 0

    def __call__(self, calls: int = 1) -> None:
        wait = self.next_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.next_at = time.monotonic() + self.interval * calls
        self.calls += calls


def reconcile(*, older_than_minutes: int = 30, every_batch: bool = False) -> dict[str, int]:
    """One reconciliation run; counts what it saw and changed.

    `every_batch`: go through every abandoned and pending gift now (the command), rather
    than one batch of each (the scheduler's run and the admin's "Reconcile now").
    """
    counts = dict.fromkeys(COUNTS, 0)
    pace = Pace(settings.RECONCILE_STRIPE_RATE)
    now = timezone.now()
    untouched_since = now - timedelta(hours=settings.DONATION_EXPIRE_HOURS)
    _expire_abandoned(untouched_since, counts, pace, every_batch)
    _read_pending(now - timedelta(minutes=older_than_minutes), untouched_since, counts, pace,
                  every_batch)
    _settle_refunds(now, counts, pace)
    _settle_disputes(now, counts, pace)
    _settle_monthly(now, counts, pace)
    counts["calls"] = pace.calls
    logger.info("reconciled with stripe", extra={"counts": counts})
    return counts


def _expire_abandoned(untouched_since, counts, pace, every_batch) -> None:
    done = set()  # read this run: one that stays (still processing at Stripe) is not read twice
    while True:
        batch = list(
            Donation.objects.filter(status__in=OPEN,
                                    updated_at__lte=untouched_since)
            .exclude(stripe_payment_intent="").exclude(pk__in=done)
            .order_by("updated_at").values_list("pk", flat=True)[:settings.RECONCILE_BATCH]
        )
        done.update(batch)
        for pk in batch:
            pace(2)
            try:
                donation = donation_expire(donation_id=pk, source=SOURCE,
                                           untouched_since=untouched_since)
            except stripe_gateway.PaymentProviderError:
                counts["errors"] += 1
                logger.warning("could not expire a gift at stripe", extra={"donation_id": str(pk)})
                continue
            if donation.status == S.CANCELED:
                counts["expired"] += 1
            elif donation.status not in OPEN:
                counts["changed"] += 1  # it had been paid after all
        if not every_batch or len(batch) < settings.RECONCILE_BATCH:
            return


def _read_pending(cutoff, untouched_since, counts, pace, every_batch) -> None:
    """Re-read pending gifts in turn: the cursor is the creation time of the last one read,
    and goes back to the start when a batch comes up short."""
    cursor, _ = ReconcileCursor.objects.get_or_create(name="pending")
    position = None if every_batch else cursor.position
    while True:
        pending = Donation.objects.filter(
            status=S.PENDING, created_at__lte=cutoff, updated_at__gt=untouched_since
        ).exclude(stripe_payment_intent="")
        if position is not None:
            pending = pending.filter(created_at__gt=position)
        batch = list(pending.order_by("created_at", "pk")
                     .values_list("pk", "created_at")[:settings.RECONCILE_BATCH])
        for pk, _created in batch:
            counts["checked"] += 1
            pace()
            try:
                donation = donation_sync(donation_id=pk, source=SOURCE)
            except stripe_gateway.PaymentProviderError:
                counts["errors"] += 1
                logger.warning("reconcile could not reach stripe", extra={"donation_id": str(pk)})
                continue
            if donation is not None and donation.status != S.PENDING:
                counts["changed"] += 1
        full = len(batch) == settings.RECONCILE_BATCH
        position = batch[-1][1] if full else None
        if not every_batch or not full:
            break
    if not every_batch:
        cursor.position = position
        cursor.save(update_fields=["position", "updated_at"])


def _walked_since(name: str, now, *, days: int):
    """The cursor of a list walked by creation time, and where this pass starts: the last
    complete pass less the overlap, never more than `days` back."""
    window = now - timedelta(days=days)
    cursor, _ = ReconcileCursor.objects.get_or_create(name=name)
    since = window if cursor.position is None else max(window, cursor.position - REFUND_OVERLAP)
    return cursor, since


def _listed(list_since, since, pace, counts, *, what: str):
    """`list_since(since, pace=pace)`, or None (counted as an error) when Stripe is down."""
    try:
        return list_since(since, pace=pace)
    except stripe_gateway.PaymentProviderError:
        counts["errors"] += 1
        logger.warning("reconcile could not list stripe's %s", what)
        return None


def _settle_refunds(now, counts, pace) -> None:
    """Apply the refunds Stripe made since the last complete pass (at most 120 days back)."""
    cursor, since = _walked_since("refunds", now, days=settings.RECONCILE_SETTLED_DAYS)
    refunds = _listed(stripe_gateway.refunds_since, since, pace, counts, what="refunds")
    if refunds is None:
        return
    counts["refunds_seen"] = len(refunds)
    charges = {}
    for refund in refunds:
        charges.setdefault(refund.charge_id, refund.payment_intent)
    complete = True
    for charge, payment_intent in charges.items():
        donation = donation_of_charge(payment_intent=payment_intent, charge=charge)
        if donation is None or donation.status not in PAID:
            continue  # not ours, or not paid yet here (the pending pass applies both)
        pace()
        try:
            total = donation_sync_refunds(donation_id=donation.pk, source=SOURCE)
        except stripe_gateway.PaymentProviderError:
            counts["errors"] += 1
            complete = False
            continue
        if total is not None and total > donation.refunded_amount:
            counts["refunds_applied"] += 1
    if complete:
        cursor.position = now
        cursor.save(update_fields=["position", "updated_at"])


def _settle_disputes(now, counts, pace) -> None:
    """Apply every dispute opened in the window, as it stands at Stripe now."""
    window = now - timedelta(days=settings.RECONCILE_SETTLED_DAYS)
    try:
        disputes = stripe_gateway.disputes_since(window, pace=pace)
    except stripe_gateway.Unsupported:
        # Only the stand-in answers 404 here: it has no disputes to list.
        return
    except stripe_gateway.PaymentProviderError:
        counts["errors"] += 1
        logger.warning("reconcile could not list stripe's disputes")
        return
    counts["disputes_seen"] = len(disputes)
    for dispute in disputes:
        ours = donation_of_charge(
            payment_intent=stripe_gateway.object_id(dispute.get("payment_intent")),
            charge=stripe_gateway.object_id(dispute.get("charge")),
        )
        if ours is not None and dispute.get("id"):
            donation_record_dispute(dispute=dispute, source=SOURCE)


READS = {"invoice.payment_succeeded": 3, "customer.subscription.updated": 1}


def _settle_monthly(now, counts, pace) -> None:
    """Apply what Stripe's events say of our monthly gifts that the books do not show: each
    object once (the newest event of a subscription's updates), events the webhook applied
    skipped (docs/reconciliation.md, "Monthly gifts")."""
    cursor, since = _walked_since("monthly", now, days=stripe_gateway.EVENTS_KEPT_DAYS)
    news = _listed(stripe_gateway.subscription_news_since, since, pace, counts,
                   what="subscription events")
    if news is None:
        return
    newest = {}
    for item in sorted(news, key=lambda n: n.created.timestamp() if n.created else 0):
        newest[(item.type, item.object_id)] = item  # the last of an object's events wins
    applied = set(StripeEvent.objects.filter(
        event_id__in=[n.event_id for n in newest.values()]).values_list("event_id", flat=True))
    counts["monthly_seen"] = len(newest)
    complete = True
    for item in newest.values():
        if item.event_id in applied or not item.subscription:
            continue
        # At most what the service may read: the invoice, its PaymentIntent and the
        # subscription; a subscription's status; nothing for a deletion.
        pace(READS.get(item.type, 0))
        try:
            if regular_gift_reconcile(news=item, source=SOURCE):
                counts["monthly_applied"] += 1
        except stripe_gateway.PaymentProviderError:
            counts["errors"] += 1
            complete = False
            logger.warning("reconcile could not read a monthly gift at stripe",
                           extra={"stripe_event": item.event_id})
    if complete:
        cursor.position = now
        cursor.save(update_fields=["position", "updated_at"])
