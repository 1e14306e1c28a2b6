"""Bring pending donations in line with Stripe (for webhooks that never came)."""

import logging
from datetime import timedelta

from django.utils import timezone

from donations import services, stripe_gateway
from donations.models import Donation, DonationEvent

logger = logging.getLogger(__name__)


def reconcile_pending(*, older_than_minutes: int = 30) -> dict[str, int]:
    """Re-read every pending donation older than the cut-off from Stripe; count the outcomes."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    counts = {"checked": 0, "changed": 0, "errors": 0}
    pending = Donation.objects.filter(
        status=Donation.Status.PENDING, created_at__lte=cutoff
    ).exclude(stripe_payment_intent="").values_list("pk", flat=True)
    for pk in pending.iterator():
        counts["checked"] += 1
        try:
            donation = services.donation_sync(donation_id=pk, source=DonationEvent.Source.RECONCILE)
        except stripe_gateway.PaymentProviderError:
            counts["errors"] += 1
            logger.warning("reconcile could not reach stripe", extra={"donation_id": str(pk)})
            continue
        if donation is not None and donation.status != Donation.Status.PENDING:
            counts["changed"] += 1
    return counts
