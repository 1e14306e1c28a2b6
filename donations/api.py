"""Thin DRF views: parse input, call a service, shape the answer."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext, gettext_lazy
from django.utils.crypto import salted_hmac
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.attribution import ATTRIBUTION_FIELDS
from core.clients import client_address
from core.errors import Unavailable
from core.languages import gift_language
from core.money import request_language, to_major_str
from donations.models import BlockedAttempt, Donation
from donations.services import create, defence, pay
from donations.selectors import regular_gift_get, regular_gift_payments
from donations.serializers import (
    DonationCreateSerializer,
    DonationSerializer,
    RegularGiftSerializer,
)
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
# The validated fields that create.donation_create takes as they are.
GIFT_FIELDS = ("appeal", "designation", "gift_amount", "currency", "cover_fees", "email",
               "first_name", "last_name", "anonymous", "gift_aid", "address_line1", "postcode",
               "frequency")
# A donation's id is its only secret (docs/idempotency.md): no cache on the way keeps an answer.
NO_STORE = {"private": True, "no_store": True}


class NoStoreMixin:
    """Every answer of the view (errors too) carries `Cache-Control: private, no-store`."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, **NO_STORE)
        return response


class PaymentsUnavailable(Unavailable):
    default_message = gettext_lazy(
        "Payments are unavailable for a moment. Nothing was charged; please try again.")


@contextmanager
def _stripe_answering():
    """Stripe unreachable: a 503 (core.errors maps it); nothing was charged."""
    try:
        yield
    except stripe_gateway.PaymentProviderError as exc:
        raise PaymentsUnavailable from exc


def _client_scope(request) -> str:
    """Whose Idempotency-Key this is: a keyed hash of the client's address (no address kept)."""
    address = client_address(request) or "unknown"
    return salted_hmac("lifeline.idempotency-key.client", address,
                       algorithm="sha256").hexdigest()[:32]


def _created_body(donation: Donation, pi: stripe_gateway.PaymentIntentState) -> dict:
    return {
        "id": str(donation.pk),
        "status": donation.status,
        "amount": to_major_str(donation.amount, donation.currency),
        "gift_amount": to_major_str(donation.gift_amount, donation.currency),
        "currency": donation.currency,
        "appeal": donation.appeal.slug,
        "designation": donation.designation.code if donation.designation else None,
        "client_secret": pi.client_secret,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        # A monthly gift's first month: the same fields, and the gift it starts.
        **({"frequency": donation.frequency, "regular_gift": str(donation.regular_gift_id)}
           if donation.regular_gift_id else {}),
    }


class DonationCreateApi(NoStoreMixin, APIView):
    authentication_classes = []  # public: no CSRF/session coupling; the card-testing defence guards it

    @extend_schema(
        request=DonationCreateSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="Retries with the same key and body return "
                                                 "the first answer; another body: 422.")],
        responses={201: inline_serializer("DonationCreated", {
            "id": serializers.UUIDField(), "status": serializers.CharField(),
            "amount": serializers.CharField(), "gift_amount": serializers.CharField(),
            "currency": serializers.CharField(), "appeal": serializers.CharField(),
            "designation": serializers.CharField(allow_null=True),
            "client_secret": serializers.CharField(), "publishable_key": serializers.CharField(),
            "frequency": serializers.CharField(required=False),
            "regular_gift": serializers.UUIDField(required=False),
        })},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_KEY_LENGTH:
            return Response({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]},
                            status=status.HTTP_400_BAD_REQUEST)
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": [gettext("Send a JSON object.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        fingerprint = create.request_fingerprint(request.data)
        client = _client_scope(request)
        if key:
            replay = create.idempotent_answer(client=client, key=key, fingerprint=fingerprint)
            if replay is not None:
                return Response(replay.body, status=replay.status)

        serializer = DonationCreateSerializer(
            data=request.data, context={"language": request_language(request)})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refused = _screen_new_gift(request, data)
        if refused is not None:
            return refused
        # No transaction open here: the PaymentIntent is made first, then everything is
        # written in one short transaction (create.donation_create), the key's answer too.
        with _stripe_answering():
            answer = create.donation_create_once(
                client=client, key=key, fingerprint=fingerprint, answer=_created_body,
                **{name: data[name] for name in GIFT_FIELDS},
                attribution=_attribution(request, data),
                charity_name=settings.CHARITY_NAME,
                ip_address=client_address(request),
                user_agent=request.headers.get("User-Agent", ""),
                language=gift_language(request),
            )
        return Response(answer.body, status=answer.status)


def _attribution(request, data) -> dict[str, str]:
    """The body's attribution (the page's landing), else what the reader's cookie kept from
    their last landing (request.attribution, attribution/middleware.py): the appeal page is
    the same for every reader, so it cannot put the cookie's values in the form itself
    (docs/page-cache.md)."""
    sent = {name: data[name] for name in ATTRIBUTION_FIELDS}
    if any(sent.values()):
        return sent
    kept = getattr(request, "attribution", None) or {}
    return {name: kept.get(name, "") for name in ATTRIBUTION_FIELDS}


def _too_many(verdict: defence.Verdict) -> Response:
    headers = {"Retry-After": str(verdict.retry_after)} if verdict.retry_after else {}
    return Response({"non_field_errors": [defence.REFUSED_MESSAGE]},
                    status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)


def _screen_new_gift(request, data) -> Response | None:
    """The card-testing defence, before anything exists here or at Stripe."""
    honeypot = request.data.get(defence.HONEYPOT_FIELD) or ""
    verdict = defence.check_create(
        request, email=data["email"], appeal=data["appeal"].slug, amount=data["gift_amount"],
        currency=data["currency"], honeypot=str(honeypot),
    )
    if verdict.allowed:
        return None
    if verdict.reason == BlockedAttempt.Reason.HONEYPOT:  # a bot: an ordinary-looking refusal
        return Response({"non_field_errors": [gettext("This gift could not be accepted.")]},
                        status=status.HTTP_400_BAD_REQUEST)
    if verdict.reason == BlockedAttempt.Reason.MINIMUM_AMOUNT:
        return Response({"amount": [verdict.message]}, status=status.HTTP_400_BAD_REQUEST)
    return _too_many(verdict)


class DonationDetailApi(NoStoreMixin, APIView):
    authentication_classes = []

    @extend_schema(responses=DonationSerializer)
    def get(self, request, pk):
        donation = get_object_or_404(
            Donation.objects.select_related("appeal", "designation"), pk=pk
        )
        return Response(DonationSerializer(donation).data)


class RegularGiftDetailApi(NoStoreMixin, APIView):
    """A monthly gift: its status and the months collected (its id is its only secret, as a
    donation's is)."""

    authentication_classes = []

    @extend_schema(responses=RegularGiftSerializer)
    def get(self, request, pk):
        gift = regular_gift_get(regular_gift_id=pk)
        if gift is None:
            raise Http404
        payments = regular_gift_payments(regular_gift=gift)
        return Response(RegularGiftSerializer(gift, context={"payments": payments}).data)


class PayRequestSerializer(serializers.Serializer):
    confirmation_token = serializers.RegexField(
        r"^ctoken_[A-Za-z0-9_]{1,200}$",
        error_messages={"invalid": gettext_lazy("Not a Stripe ConfirmationToken id."),
                        "required": gettext_lazy(
                            "The card details did not arrive; please try again.")})


class DonationPayApi(NoStoreMixin, APIView):
    """Charge the card Stripe.js put into a ConfirmationToken (confirmed on the server)."""

    authentication_classes = []

    @extend_schema(request=PayRequestSerializer, responses={200: inline_serializer(
        "PaymentOutcome", {
            "status": serializers.CharField(), "client_secret": serializers.CharField(),
            "message": serializers.CharField(), "thanks_url": serializers.CharField()})})
    def post(self, request, pk):
        donation = get_object_or_404(Donation.objects.select_related("appeal"), pk=pk)
        given = PayRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # Each confirm lets a card be tried at Stripe: counted per gift and per client.
        verdict = defence.check_card_attempt(request, donation=donation)
        if not verdict.allowed:
            return _too_many(verdict)
        try:
            with _stripe_answering():
                outcome = pay.donation_pay(
                    donation_id=pk,
                    confirmation_token=given.validated_data["confirmation_token"],
                    # The card's fingerprint is read only when it can matter (check_pay).
                    screen=lambda d, card: defence.check_pay(request, donation=d, card=card),
                )
        except pay.PaymentRefused as exc:
            defence.record_refusal(request, exc.verdict.reason, **exc.verdict.facts)
            return _too_many(exc.verdict)
        body = {
            "status": outcome.status,
            "client_secret": outcome.client_secret,
            "message": outcome.message,
            "thanks_url": f"/donations/{donation.pk}/thanks/",
        }
        if outcome.status == "declined" and not outcome.repeated:
            defence.record_decline(request, donation=donation,
                                   fingerprint=outcome.card_fingerprint,
                                   attempt=outcome.attempt)
        code = status.HTTP_402_PAYMENT_REQUIRED if outcome.status == "declined" else 200
        return Response(body, status=code)

