"""STRIPE_PAYMENT_METHOD_TYPES: the payment method types of the PaymentIntents we create.

Read back from the stand-in through the SDK, as a finance or support person would look the
PaymentIntent up at Stripe; a malformed list stops every entry point at start-up.
"""

import pytest
from django.conf import settings

from gateways import stripe as stripe_gateway
from donations.models import Donation
from tests.test_settings import check


def _created_payment_method_types(client) -> list[str]:
    from tests.donations.test_api_create import GOOD, post

    answer = post(client, GOOD)
    assert answer.status_code == 201, answer.content
    donation = Donation.objects.get(pk=answer.json()["id"])
    pi = stripe_gateway.client().v1.payment_intents.retrieve(donation.stripe_payment_intent)
    return list(pi.payment_method_types)


def test_a_gift_pays_by_card_by_default(client, demo):
    assert settings.STRIPE_PAYMENT_METHOD_TYPES == ["card"]
    assert _created_payment_method_types(client) == ["card"]


def test_a_gift_offers_the_configured_payment_method_types(client, demo, settings):
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card", "sepa_debit"]

    assert _created_payment_method_types(client) == ["card", "sepa_debit"]


def test_payment_method_types_are_read_as_a_comma_separated_list():
    result = check(STRIPE_PAYMENT_METHOD_TYPES=" card , sepa_debit")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["card,,sepa_debit", "", "card,", "Card", "card;link",
                                   "card,card"])
def test_a_malformed_payment_method_types_list_is_refused_at_start_up(value):
    result = check(STRIPE_PAYMENT_METHOD_TYPES=value)

    assert result.returncode != 0
    assert "STRIPE_PAYMENT_METHOD_TYPES" in result.stderr
