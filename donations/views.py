import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from donations import services, stripe_gateway, webhooks
from donations.models import Donation, DonationEvent

logger = logging.getLogger(__name__)


@cache_control(private=True, no_store=True)  # the id is the page's only secret
def thanks(request, pk):
    """The donor's confirmation page. Asks Stripe (never the browser) while still pending."""
    donation = get_object_or_404(Donation.objects.select_related("appeal", "designation"), pk=pk)
    if donation.status in (Donation.Status.PENDING, Donation.Status.FAILED):
        try:
            donation = services.donation_sync(
                donation_id=donation.pk, source=DonationEvent.Source.BROWSER
            ) or donation
        except stripe_gateway.PaymentProviderError:
            logger.warning("thanks page could not ask stripe", extra={"donation_id": str(pk)})
        donation = Donation.objects.select_related("appeal", "designation").get(pk=pk)
    receipt = getattr(donation, "receipt", None)
    return render(request, "donations/thanks.html", {"donation": donation, "receipt": receipt})


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
    except webhooks.MalformedEvent:
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
    try:
        stripe_gateway.ping()
        checks["stripe"] = "ok"
    except stripe_gateway.PaymentProviderError as exc:
        checks["stripe"] = f"error: {exc.__class__.__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
