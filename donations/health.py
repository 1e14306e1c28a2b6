"""The payments health page: drift between us, Stripe and the mail server, seen early."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django.utils import timezone

from donations.models import Donation, Receipt, StripeEvent
from gateways import stripe as stripe_gateway

# How many of the oldest pending donations are checked at Stripe on each view (one API call
# each); reconcile_stripe fixes all of them on its schedule.
STRIPE_CHECK_LIMIT = 20
SETTLED_AT_STRIPE = {"succeeded", "canceled", "requires_capture"}


@dataclass
class Drift:
    donation: Donation
    stripe_status: str


@dataclass
class PaymentsHealth:
    checked_at: datetime
    oldest_pending: Donation | None
    pending_count: int
    last_webhook_at: datetime | None
    webhooks_last_day: int
    unsent_receipts: int
    oldest_unsent_issued_at: datetime | None
    failing_receipts: list[Receipt]
    drift: list[Drift] = field(default_factory=list)
    stripe_checked: int = 0
    stripe_error: str = ""
    # The API version of the latest event that stated one, and the one our calls pin.
    event_api_version: str = ""
    stripe_api_version: str = stripe_gateway.STRIPE_API_VERSION

    @property
    def problems(self) -> list[str]:
        found = []
        if self.drift:
            found.append(f"{len(self.drift)} donation(s) settled at Stripe but pending here")
        if self.stripe_error:
            found.append("Stripe could not be asked")
        if stripe_gateway.api_version_differs(self.event_api_version):
            found.append(stripe_gateway.api_version_warning(self.event_api_version))
        if self.oldest_unsent_issued_at and self.oldest_unsent_issued_at < (
            self.checked_at - timedelta(minutes=10)
        ):
            found.append("receipts unsent for more than 10 minutes")
        return found


def payments_health(*, pending_older_than: timedelta = timedelta(minutes=5)) -> PaymentsHealth:
    now = timezone.now()
    pending = Donation.objects.filter(status=Donation.Status.PENDING)
    webhooks = StripeEvent.objects.aggregate(
        last=Max("received_at"),
    )
    unsent = Receipt.objects.filter(email_sent_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("issued_at")
    )
    health = PaymentsHealth(
        checked_at=now,
        oldest_pending=pending.select_related("appeal").order_by("created_at").first(),
        pending_count=pending.count(),
        last_webhook_at=webhooks["last"],
        webhooks_last_day=StripeEvent.objects.filter(
            received_at__gte=now - timedelta(days=1)).count(),
        unsent_receipts=unsent["count"],
        oldest_unsent_issued_at=unsent["oldest"],
        failing_receipts=list(
            Receipt.objects.filter(email_sent_at__isnull=True).exclude(email_last_error="")
            .select_related("donation").order_by("issued_at")[:20]
        ),
        event_api_version=StripeEvent.objects.exclude(api_version="")
        .order_by("-received_at", "-pk").values_list("api_version", flat=True).first() or "",
    )
    candidates = (
        pending.filter(created_at__lte=now - pending_older_than)
        .exclude(stripe_payment_intent="").order_by("created_at")[:STRIPE_CHECK_LIMIT]
    )
    for donation in candidates:
        try:
            pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        except stripe_gateway.PaymentProviderError as exc:
            health.stripe_error = str(exc)
            break
        health.stripe_checked += 1
        if pi.status in SETTLED_AT_STRIPE:
            health.drift.append(Drift(donation=donation, stripe_status=pi.status))
    if not health.stripe_checked and not health.stripe_error:
        # Nothing to look up: still say whether Stripe answers (/readyz does not ask it).
        try:
            stripe_gateway.ping()
        except stripe_gateway.PaymentProviderError as exc:
            health.stripe_error = str(exc)
    return health
