"""Thin DRF views: parse input, call a service, shape the answer."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.attribution import ATTRIBUTION_FIELDS
from core.clients import client_address
from core.errors import Unavailable
from core.money import request_language, to_major_str
from donations import defence, services
from donations.models import BlockedAttempt, Donation, IdempotencyKey
from donations.serializers import DonationCreateSerializer, DonationSerializer
from gateways import stripe as stripe_gateway

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
# A donation's id is its only secret (docs/idempotency.md): no cache on the way keeps an answer.
NO_STORE = {"private": True, "no_store": True}


class NoStoreMixin:
    """Every answer of the view (errors too) carries `Cache-Control: private, no-store`."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, **NO_STORE)
        return response


class PaymentsUnavailable(Unavailable):
    default_message = "Payments are unavailable for a moment. Nothing was charged; please try again."


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


def _fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
        })},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_KEY_LENGTH:
            return Response({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]},
                            status=status.HTTP_400_BAD_REQUEST)
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send a JSON object."]},
                            status=status.HTTP_400_BAD_REQUEST)
        fingerprint = _fingerprint(request.data)
        client = _client_scope(request)
        if key:
            replay = _replay(client, key, fingerprint)
            if replay is not None:
                return replay

        serializer = DonationCreateSerializer(
            data=request.data, context={"language": request_language(request)})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refused = _screen_new_gift(request, data)
        if refused is not None:
            return refused
        # Random (uuid4), whatever the key: the key row remembers the donation it names.
        donation_id = uuid.uuid4()
        if key:
            claimed = _claim_key(client, key, fingerprint, donation_id)
            if isinstance(claimed, Response):
                return claimed
            donation_id = claimed

        def record_answer(donation, pi):  # in the transaction that writes the donation
            if key:
                IdempotencyKey.objects.filter(client=client, key=key).update(
                    donation=donation, response_status=status.HTTP_201_CREATED,
                    response_body=_created_body(donation, pi),
                )

        try:
            # No transaction open here: the PaymentIntent is made first, then everything is
            # written in one short transaction (services.donation_create).
            with _stripe_answering():
                donation, pi = services.donation_create(
                    appeal=data["appeal"],
                    designation=data["designation"],
                    gift_amount=data["gift_amount"],
                    currency=data["currency"],
                    cover_fees=data["cover_fees"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    anonymous=data["anonymous"],
                    gift_aid=data["gift_aid"],
                    address_line1=data["address_line1"],
                    postcode=data["postcode"],
                    attribution={name: data[name] for name in ATTRIBUTION_FIELDS},
                    charity_name=settings.CHARITY_NAME,
                    donation_id=donation_id,
                    ip_address=client_address(request),
                    user_agent=request.headers.get("User-Agent", ""),
                    on_saved=record_answer,
                )
        except BaseException:
            _release_key(client, key)
            raise
        return Response(_created_body(donation, pi), status=status.HTTP_201_CREATED)


def _claim_key(client: str, key: str, fingerprint: str, donation_id: uuid.UUID) -> uuid.UUID | Response:
    """Claim the Idempotency-Key for this request in a short transaction (a row with no answer
    yet, naming the donation it will create) and give that donation's id; or, when another
    request holds it, wait for that one's answer (reading, no lock) and replay it.

    A claim older than PAYMENT_CLAIM_SECONDS belongs to a request that died: it is taken
    over, with the same donation id, so Stripe's idempotency key gives the same
    PaymentIntent if the dead request had made one. A live one still unanswered by then
    answers 409: nothing is created twice.
    """
    deadline = time.monotonic() + settings.PAYMENT_CLAIM_SECONDS
    while True:
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    client=client, key=key, fingerprint=fingerprint, response_status=0,
                    response_body={"donation_id": str(donation_id)},
                )
            return donation_id
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(client=client, key=key).first()
        if record is None:  # released by a request that failed: try again
            continue
        if record.fingerprint != fingerprint or record.response_status:
            return _replay(client, key, fingerprint)
        stale = timezone.now() - timedelta(seconds=settings.PAYMENT_CLAIM_SECONDS)
        if record.created_at < stale and IdempotencyKey.objects.filter(
            pk=record.pk, created_at=record.created_at, response_status=0
        ).update(created_at=timezone.now()):
            return uuid.UUID(record.response_body["donation_id"])
        if time.monotonic() > deadline:
            return Response(
                {"Idempotency-Key": ["A request with this key is still being processed; "
                                     "try again in a moment."]},
                status=status.HTTP_409_CONFLICT,
            )
        time.sleep(0.1)


def _release_key(client: str, key: str) -> None:
    """The request failed before creating anything: its key may be used again."""
    if key:
        IdempotencyKey.objects.filter(client=client, key=key, response_status=0).delete()


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
        return Response({"non_field_errors": ["This gift could not be accepted."]},
                        status=status.HTTP_400_BAD_REQUEST)
    if verdict.reason == BlockedAttempt.Reason.MINIMUM_AMOUNT:
        return Response({"amount": [verdict.message]}, status=status.HTTP_400_BAD_REQUEST)
    return _too_many(verdict)


def _replay(client: str, key: str, fingerprint: str) -> Response | None:
    record = IdempotencyKey.objects.filter(client=client, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        return Response(
            {"Idempotency-Key": ["This key was already used with a different request body."]},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if not record.response_status:
        return None  # still being answered: _claim_key waits for it
    return Response(record.response_body, status=record.response_status)


class DonationDetailApi(NoStoreMixin, APIView):
    authentication_classes = []

    @extend_schema(responses=DonationSerializer)
    def get(self, request, pk):
        donation = get_object_or_404(
            Donation.objects.select_related("appeal", "designation"), pk=pk
        )
        return Response(DonationSerializer(donation).data)


class DonationCardSetupApi(NoStoreMixin, APIView):
    """Step 1 of paying: a SetupIntent for Stripe.js to put the donor's card into."""

    authentication_classes = []

    @extend_schema(request=None, responses={200: inline_serializer(
        "CardSetup", {"setup_client_secret": serializers.CharField()})})
    def post(self, request, pk):
        donation = get_object_or_404(Donation.objects.select_related("appeal"), pk=pk)
        verdict = defence.check_card_setup(request, donation=donation)
        if not verdict.allowed:
            return _too_many(verdict)
        with _stripe_answering():
            secret = services.donation_prepare_card(donation_id=pk)
        return Response({"setup_client_secret": secret})


class DonationPayApi(NoStoreMixin, APIView):
    """Step 2: charge the card just set up (confirmed on the server)."""

    authentication_classes = []

    @extend_schema(request=None, responses={200: inline_serializer("PaymentOutcome", {
        "status": serializers.CharField(), "client_secret": serializers.CharField(),
        "message": serializers.CharField(), "thanks_url": serializers.CharField()})})
    def post(self, request, pk):
        donation = get_object_or_404(Donation, pk=pk)
        try:
            with _stripe_answering():
                outcome = services.donation_pay(
                    donation_id=pk,
                    screen=lambda d, fingerprint: defence.check_pay(request, donation=d,
                                                                    fingerprint=fingerprint),
                )
        except services.PaymentRefused as exc:
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
                                   fingerprint=outcome.card_fingerprint)
        code = status.HTTP_402_PAYMENT_REQUIRED if outcome.status == "declined" else 200
        return Response(body, status=code)

