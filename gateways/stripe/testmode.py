"""Stripe's test helpers, for proving the integration without a browser (test mode only).

`confirmation_token_for_test` makes, on the server, the ConfirmationToken that Stripe.js makes
in the donor's browser from the Payment Element: `POST /v1/test_helpers/confirmation_tokens`
with one of Stripe's test PaymentMethods (`pm_card_visa`, `pm_card_visa_chargeDeclined`,
`pm_card_threeDSecure2Required`…). Stripe answers it in test mode only; this refuses a key
that is not a test-mode key before anything is sent. The product never calls it:
scripts/stripe_proof.py does (`make stripe-proof`, docs/stripe-proof.md).
"""

from __future__ import annotations

from django.conf import settings

from gateways.stripe.client import call, client

TEST_MODE_PREFIXES = ("sk_test_", "rk_test_")


class NotTestMode(Exception):
    """The secret key is not a test-mode key: Stripe's test helpers were not called."""


def is_test_mode() -> bool:
    """Whether the configured secret key is a test-mode one (sk_test_…, rk_test_…)."""
    return settings.STRIPE_SECRET_KEY.startswith(TEST_MODE_PREFIXES)


def confirmation_token_for_test(*, payment_method: str, return_url: str = "") -> str:
    """A ConfirmationToken for the test PaymentMethod `payment_method`, as Stripe.js would
    make one from the card a donor typed; its id. `return_url`, if given, is where a bank's
    3-D Secure page would send the donor back.

    :raises NotTestMode: the key is not a test-mode key (nothing was sent).
    :raises PaymentProviderError: Stripe refused or could not be reached.
    """
    if not is_test_mode():
        raise NotTestMode("Stripe's test helpers take a test-mode key (sk_test_…) only.")
    params: dict = {"payment_method": payment_method}
    if return_url:
        params["return_url"] = return_url
    return call(client().v1.test_helpers.confirmation_tokens.create, params=params).id


def subscription_month_for_test(*, customer: str, subscription: str, amount: int,
                                currency: str) -> str:
    """Bill and pay one month of a subscription now, as Stripe's clock does each month (a
    test can't wait a month); the invoice's id. Stripe makes an invoice for a subscription
    empty (pending items excluded since 2022-08-01): the month's amount is added to it as an
    item, then it is finalized. The stand-in bills the subscription's items at once. Paid with
    the card Stripe keeps for the subscription.

    :raises NotTestMode: the key is not a test-mode key (nothing was sent).
    :raises PaymentProviderError: Stripe refused or could not be reached.
    """
    if not is_test_mode():
        raise NotTestMode("Stripe's clock is advanced by hand with a test-mode key only.")
    invoice = call(client().v1.invoices.create,
                   params={"customer": customer, "subscription": subscription})
    if not invoice.total:
        call(client().v1.invoice_items.create, params={
            "customer": customer, "invoice": invoice.id, "amount": amount,
            "currency": currency.lower(), "description": "Monthly gift (make stripe-proof)"})
        call(client().v1.invoices.finalize_invoice, invoice.id)
    call(client().v1.invoices.pay, invoice.id)
    return invoice.id
