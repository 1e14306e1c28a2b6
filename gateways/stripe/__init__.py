"""Stripe, in one package: the only code that imports the `stripe` SDK.

Apps import this package's public names, never its modules nor the SDK:

    from gateways import stripe as stripe_gateway
    stripe_gateway.payment_intent_retrieve(pi_id)

(`gateways.stripe` does not shadow the SDK: `import stripe` is absolute and finds the
top-level SDK; this package is only ever `gateways.stripe`.)

Modules, one per Stripe object: client (the SDK client, the pinned API version), errors,
objects (shared field shapes), declines (a declined card as each report names it),
payment_intents (and ConfirmationTokens), charges, refunds,
disputes, subscriptions (monthly gifts: Product, Customer, Subscription, invoices in either API
shape), setup_intents (a monthly gift's new card, its open invoices paid with it),
balance (what finance reconciles), stripe_js (the origins Stripe.js needs in the
donor's browser), webhooks (signature, event shape and version),
standin (where the local stand-in is not Stripe), checks (system checks of the settings),
testmode (Stripe's test-mode helpers, for scripts/stripe_proof.py only).
"""

from gateways.stripe.balance import BalanceTxn, balance_transactions
from gateways.stripe.charges import ChargeState, charge_payment_intent, charge_retrieve
from gateways.stripe.client import STRIPE_API_VERSION, client, ping
from gateways.stripe.declines import CardDecline, attempt_key, decline_in, decline_message
from gateways.stripe.disputes import disputes_since
from gateways.stripe.errors import (
    CardDeclined,
    IntentNotConfirmable,
    PaymentProviderError,
    UnknownConfirmationToken,
    Unsupported,
)
from gateways.stripe.objects import object_id
from gateways.stripe.payment_intents import (
    PaymentIntentState,
    confirmation_token_fingerprint,
    payment_intent_cancel,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_retrieve,
)
from gateways.stripe.refunds import RefundState, refund_create, refunds_since
from gateways.stripe.setup_intents import (
    CardSetup,
    card_setup,
    card_setup_retrieve,
    invoice_pay,
    open_invoices,
    subscription_card_set,
)
from gateways.stripe.stripe_js import elements_locale, stripe_sources
from gateways.stripe.subscriptions import (
    FirstPayment,
    EVENTS_KEPT_DAYS,
    InvoiceState,
    MonthlyNews,
    invoice_state,
    invoice_subscription,
    monthly_product,
    subscription_cancel,
    subscription_change_amount,
    subscription_news_since,
    subscription_ended_for_failed_payments,
    subscription_start,
    subscription_status,
)
from gateways.stripe.testmode import (
    NotTestMode,
    confirmation_token_for_test,
    subscription_month_for_test,
)
from gateways.stripe.webhooks import (
    DECLINE_EVENTS,
    DISPUTE_EVENTS,
    INVOICE_EVENTS,
    INVOICE_PAID_EVENTS,
    PAYMENT_INTENT_EVENTS,
    REFUND_EVENTS,
    SETUP_INTENT_EVENTS,
    SUBSCRIPTION_EVENTS,
    MalformedEvent,
    api_version_differs,
    api_version_warning,
    event_contents,
    event_type,
    webhook_event,
)

__all__ = [
    "elements_locale",
    "decline_message",
    "DECLINE_EVENTS",
    "EVENTS_KEPT_DAYS",
    "DISPUTE_EVENTS",
    "INVOICE_EVENTS",
    "INVOICE_PAID_EVENTS",
    "PAYMENT_INTENT_EVENTS",
    "REFUND_EVENTS",
    "SETUP_INTENT_EVENTS",
    "SUBSCRIPTION_EVENTS",
    "STRIPE_API_VERSION",
    "BalanceTxn",
    "CardSetup",
    "CardDecline",
    "CardDeclined",
    "FirstPayment",
    "InvoiceState",
    "MonthlyNews",
    "IntentNotConfirmable",
    "ChargeState",
    "MalformedEvent",
    "NotTestMode",
    "PaymentIntentState",
    "PaymentProviderError",
    "UnknownConfirmationToken",
    "RefundState",
    "Unsupported",
    "api_version_differs",
    "attempt_key",
    "api_version_warning",
    "balance_transactions",
    "charge_payment_intent",
    "card_setup",
    "card_setup_retrieve",
    "charge_retrieve",
    "client",
    "confirmation_token_fingerprint",
    "confirmation_token_for_test",
    "decline_in",
    "disputes_since",
    "event_contents",
    "event_type",
    "invoice_pay",
    "invoice_state",
    "invoice_subscription",
    "monthly_product",
    "object_id",
    "open_invoices",
    "payment_intent_cancel",
    "payment_intent_create",
    "payment_intent_confirm",
    "payment_intent_retrieve",
    "ping",
    "refund_create",
    "refunds_since",
    "stripe_sources",
    "subscription_cancel",
    "subscription_card_set",
    "subscription_change_amount",
    "subscription_ended_for_failed_payments",
    "subscription_month_for_test",
    "subscription_news_since",
    "subscription_start",
    "subscription_status",
    "webhook_event",
]
