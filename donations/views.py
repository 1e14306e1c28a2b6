"""Donations' endpoints that are not pages: Stripe's webhook and the health probes. (The
thanks page is in pages/.)"""

from celery import current_app
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from donations import webhooks
from gateways import stripe as stripe_gateway


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
        # The project's Celery app (config/ makes it current when Django starts), without
        # importing config from a domain app.
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    # Not Stripe (SPEC): the appeal page does not need it, and an anonymous probe must not
    # spend Stripe's rate limit. Its reachability is on the admin's payments health page.
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
