"""Reconciliation of monthly gifts: what Stripe did that no webhook told us (webhooks muted,
as the stand-in is for every test that does not ask for them), brought in by
`reconcile_stripe` through the webhook's own services (docs/reconciliation.md)."""

import pytest
from django.conf import settings
from django.core.management import call_command

from donations.models import Donation, Receipt, RegularGift
from donations.services import reconciliation
from tests.donations.test_monthly import (  # noqa: F401  (stripe_api is a fixture)
    next_month_at_stripe,
    paid_monthly,
    receipt_numbers,
    regular_gift,
    standin_events,
    stripe_api,
)
from tests.donations.test_webhooks import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_subscription_canceled_at_stripe_unheard_is_canceled_at_the_next_reconcile(
        demo, live_server, client, stripe_api, capsys):
    gift = paid_monthly(live_server.url)
    stripe_api.v1.subscriptions.cancel(
        RegularGift.objects.get(pk=gift["regular_gift"]).stripe_subscription)
    assert regular_gift(client, gift["regular_gift"])["status"] == "active"  # nobody told us

    call_command("reconcile_stripe")

    assert "1 applied" in capsys.readouterr().out
    assert regular_gift(client, gift["regular_gift"])["status"] == "canceled"
    stored = RegularGift.objects.get(pk=gift["regular_gift"])
    assert stored.canceled_by == "stripe" and stored.canceled_at is not None
    *_, event = stored.events.all()
    assert (event.from_status, event.to_status, event.by) == ("active", "canceled", "stripe")


def test_a_month_paid_at_stripe_unheard_is_recorded_once_with_its_own_receipt(
        demo, live_server, client, stripe_api):
    gift = paid_monthly(live_server.url)
    invoice = next_month_at_stripe(stripe_api, gift["regular_gift"])
    assert len(regular_gift(client, gift["regular_gift"])["payments"]) == 1  # nobody told us

    reconciliation.reconcile()
    reconciliation.reconcile()  # again: nothing more

    first, second = receipt_numbers(client, gift["regular_gift"])
    assert second and second != first
    month = Donation.objects.get(stripe_invoice=invoice["id"])
    assert month.status == "succeeded" and month.amount == 2500
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "50.00"
    # The webhook that comes late finds the month recorded: still two months, two receipts.
    (late,) = standin_events(settings.STRIPE_API_BASE, "invoice.payment_succeeded",
                             invoice["id"])
    assert deliver(client, late).status_code == 200
    assert receipt_numbers(client, gift["regular_gift"]) == [first, second]
    assert Receipt.objects.count() == 2


def test_a_run_with_nothing_missed_reads_no_monthly_gift(demo, webhooks, client, stripe_api,
                                                         stripe_calls):
    """Every event applied by the webhook: the run lists the events and reads nothing more."""
    from tests.helpers import eventually

    gift = paid_monthly(webhooks.url)
    next_month_at_stripe(stripe_api, gift["regular_gift"])
    eventually(lambda: len(regular_gift(client, gift["regular_gift"])["payments"]) == 2,
               timeout=15, what="the second month from its webhook")
    before = len(stripe_calls.seen)

    counts = reconciliation.reconcile()

    monthly_calls = [call for call in stripe_calls.seen[before:]
                     if "/subscriptions" in call[1] or "/invoices" in call[1]
                     or "/events" in call[1]]
    assert monthly_calls == [("GET", "/v1/events")] * 3  # one list per event type
    assert counts["monthly_applied"] == 0


def test_a_subscription_updated_at_stripe_unheard_brings_the_status_in_line(
        demo, live_server, client, stripe_api, standin):
    """Real Stripe sends customer.subscription.updated when a month fails (the stand-in does
    not: the event is shaped here, as reconciliation lists it); the status is read now."""
    from donations.services.regular_gifts import regular_gift_reconcile
    from gateways import stripe as stripe_gateway
    from tests.donations.test_monthly import month_declined_at_stripe

    gift = paid_monthly(live_server.url)
    month_declined_at_stripe(stripe_api, standin, gift["regular_gift"])
    subscription = RegularGift.objects.get(pk=gift["regular_gift"]).stripe_subscription
    assert stripe_api.v1.subscriptions.retrieve(subscription).status == "past_due"

    def updated(status):
        return stripe_gateway.MonthlyNews(
            event_id=f"evt_{status}", type="customer.subscription.updated",
            object_id=subscription, subscription=subscription, status=status, created=None)

    assert not regular_gift_reconcile(news=updated("active"), source="reconcile")  # no read
    assert regular_gift(client, gift["regular_gift"])["status"] == "active"
    assert regular_gift_reconcile(news=updated("past_due"), source="reconcile")
    assert regular_gift(client, gift["regular_gift"])["status"] == "past_due"
