import uuid

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site
from gateways import stripe as stripe_gateway


@csrf_exempt
def payment_intent_only(request):
    """The floor under POST /api/v1/donations/: a view that only makes the PaymentIntent
    (the app's own Stripe client), with no validation and nothing written."""
    pi = stripe_gateway.payment_intent_create(
        amount=2500, currency="GBP", metadata={"donation_id": str(uuid.uuid4())},
        idempotency_key=str(uuid.uuid4()),
    )
    return JsonResponse({"client_secret": pi.client_secret}, status=201)


urlpatterns = [
    path("bench/ping", lambda request: HttpResponse("pong")),
    path("bench/payment-intent-only", payment_intent_only),
    *site,
]
