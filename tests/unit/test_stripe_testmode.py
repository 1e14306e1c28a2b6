"""gateways.stripe's test helper refuses any key but a test-mode one before sending (the unit
tier points the SDK at a closed port: a request sent would be a PaymentProviderError)."""

import pytest

from gateways import stripe as stripe_gateway


@pytest.mark.parametrize("key", ["sk_live_51Habc", "rk_live_51Habc", "pk_test_abc", "whatever"])
def test_the_confirmation_token_helper_refuses_a_key_not_in_test_mode(settings, key):
    settings.STRIPE_SECRET_KEY = key
    stripe_gateway.client.cache_clear()
    try:
        with pytest.raises(stripe_gateway.NotTestMode):
            stripe_gateway.confirmation_token_for_test(payment_method="pm_card_visa")
    finally:
        stripe_gateway.client.cache_clear()


def test_a_test_mode_key_is_sent(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_abc"
    stripe_gateway.client.cache_clear()
    with pytest.raises(stripe_gateway.PaymentProviderError):  # the closed port answered
        stripe_gateway.confirmation_token_for_test(payment_method="pm_card_visa")
