"""Where the local stand-in (localstripe, /work/shared/stripe-stand-in.md) is not Stripe.

Lifeline runs against the stand-in when no STRIPE_SECRET_KEY is set (development, tests). The
code is the same for both; what the stand-in needs is named here, and nowhere outside this
package:
- it refuses a `created` filter on lists ("Unexpected created"): `lists_filter_by_created()`;
- its charges carry no `payment_method_details`: a PaymentIntent is read with its
  PaymentMethod expanded (`CARD_EXPAND`) for the card's brand and last four;
- it stamps every event with one old API version whatever the Stripe-Version it is sent
  (`EVENT_API_VERSION`): that stamp says nothing about our endpoint;
- expandable fields arrive expanded (`latest_charge` is a whole Charge): objects.object_id()
  takes both shapes, as real Stripe sends both too;
- it has no ConfirmationTokens and refuses a second confirm after a decline: the stand-in
  script is taught both (scripts/stripe_standin.py, "ConfirmationTokens"; docs/card-flow.md),
  so payment_intents.payment_intent_confirm() is the same call for both;
- it rejects a refund's `reason` and has no disputes (404: errors.Unsupported).
"""

from __future__ import annotations

from django.conf import settings

# The `api_version` the stand-in puts on every event (localstripe 1.15.10, resources.Event).
EVENT_API_VERSION = "2017-08-15"

# What to expand on a PaymentIntent for the charged card where the charge does not say it.
CARD_EXPAND = "payment_method"


def active() -> bool:
    """True when the SDK talks to the stand-in (settings: no STRIPE_SECRET_KEY)."""
    return settings.STRIPE_USES_STAND_IN


def lists_filter_by_created() -> bool:
    """Whether a list call may send `created[gte]`/`created[lt]`: real Stripe takes them, the
    stand-in answers 400, so with it every object is listed and the period applied by us."""
    return not active()


def speaks_for_endpoint(api_version: str) -> bool:
    """Whether an event's `api_version` is the endpoint's: not the stand-in's fixed stamp."""
    return not (active() and api_version == EVENT_API_VERSION)
