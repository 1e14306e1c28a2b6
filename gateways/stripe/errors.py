"""What a Stripe call can end in, for callers that never see the SDK's own exceptions."""

from __future__ import annotations

from core.errors import Invalid


class PaymentProviderError(Exception):
    """Stripe could not be reached or answered unexpectedly: try again later."""


class IntentNotConfirmable(PaymentProviderError):
    """The PaymentIntent cannot be confirmed in its state (or the token was spent): read it."""


class UnknownConfirmationToken(Invalid):
    """Stripe knows no such ConfirmationToken (made up, or another account's): bad input from
    the browser, a 400 on the field, not an outage."""

    default_message = "The card details could not be read; please enter them again."

    def __init__(self, message: str | None = None):
        super().__init__(message, field="confirmation_token")


class CardDeclined(Exception):
    """The card was refused; `message` is Stripe's donor-facing text."""

    def __init__(self, message: str, code: str = "", charge: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.charge = charge  # the declined charge's id, where Stripe names it


class Unsupported(Exception):
    """This Stripe has no such endpoint (the stand-in has no disputes)."""
