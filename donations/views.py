import logging

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from donations import webhooks
from donations.services import stripe_events as services
from donations.models import Donation, DonationEvent
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)


@cache_control(private=True, no_store=True)  # the id is the page's only secret
def thanks(request, pk):
    """The donor's confirmation page. Asks Stripe (never the browser) while still pending, at
    most once per gift per THANKS_PAGE_STRIPE_INTERVAL seconds, whoever reloads it: the
    webhook and reconciliation bring the rest."""
    donation = get_object_or_404(Donation.objects.select_related("appeal", "designation"), pk=pk)
    if donation.status in (Donation.Status.PENDING, Donation.Status.FAILED) and _may_ask_stripe(
        donation.pk
    ):
        try:
            donation = services.donation_sync(
                donation_id=donation.pk, source=DonationEvent.Source.BROWSER
            ) or donation
        except stripe_gateway.PaymentProviderError:
            logger.warning("thanks page could not ask stripe", extra={"donation_id": str(pk)})
        donation = Donation.objects.select_related("appeal", "designation").get(pk=pk)
    receipt = getattr(donation, "receipt", None)
    return render(request, "donations/thanks.html", {"donation": donation, "receipt": receipt})


def _may_ask_stripe(donation_id) -> bool:
    """True for the first view of the interval (an atomic add in the shared limits cache)."""
    return caches[settings.RATELIMIT_USE_CACHE].add(
        f"thanks-stripe:{donation_id}", 1, timeout=settings.THANKS_PAGE_STRIPE_INTERVAL)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_gateway.webhook_event(
            request.body, request.headers.get("Stripe-Signature", "")
        )
    except ValueError:
        return HttpResponse("bad signature", status=400)
    try:
        outcome = webhooks.handle_event(event)
    except stripe_gateway.MalformedEvent:
        return HttpResponse("malformed event", status=400)
    except stripe_gateway.PaymentProviderError:
        # Stripe delivers again later; nothing was recorded.
        return HttpResponse("stripe unavailable", status=503)
    return HttpResponse(outcome, status=200)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from config.celery_app import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    # Not Stripe (SPEC): the appeal page does not need it, and an anonymous probe must not
    # spend Stripe's rate limit. Its reachability is on the admin's payments health page.
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
