"""A monthly gift's card page, `/donor/monthly/<uuid>/card/`: the donor puts in a new card
after a month failed (docs/monthly-gifts.md, "The card page").

Reached with the emailed link's signed token (`?t=`, donations/services/card_links.py), or
signed in as the gift's donor (`request.session["donor_email"]`, pages/donor.py).
Otherwise the page says the link has expired and how to ask for a new one. GET shows the gift
and Stripe's Payment Element (static/js/card.js); the page's script POSTs the card's
ConfirmationToken here (JSON, CSRF token in the header) and is answered in JSON. The view
only parses and calls donations.services.regular_gift_card.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.money import money_locale
from donations import selectors as donation_selectors
from donations.models import DonationEvent, RegularGift
from donations.services import defence
from donations.services.card_links import card_link_valid
from donations.services.regular_gift_card import regular_gift_update_card
from gateways import stripe as stripe_gateway
from pages.donor import SESSION_KEY
from pages.script_messages import card_field_labels

logger = logging.getLogger(__name__)

MAX_BODY = 4096
G = RegularGift.Status


def _signed_in_as_donor(request, gift: RegularGift) -> bool:
    """A donor signed in on /donor/ (pages/donor.py) with the gift's email."""
    signed_in = request.session.get(SESSION_KEY)
    return isinstance(signed_in, str) and bool(signed_in) and (
        signed_in.strip().casefold() == gift.email.strip().casefold())


def _may_see(request, gift: RegularGift) -> bool:
    """The emailed link's token for this gift, or a donor signed in with the gift's email."""
    return (card_link_valid(regular_gift_id=gift.pk, token=request.GET.get("t", ""))
            or _signed_in_as_donor(request, gift))


@cache_control(private=True, no_store=True)
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def regular_gift_card(request, pk):
    gift = donation_selectors.regular_gift_get(regular_gift_id=pk)
    if gift is None:
        raise Http404("No monthly gift matches the given query.")
    if not _may_see(request, gift):
        if request.method == "POST":
            return JsonResponse({"non_field_errors": [_link_expired()]}, status=403)
        return render(request, "pages/regular_gift_card_expired.html", status=403)
    if request.method == "POST":
        return _save_card(request, gift)
    return render(request, "pages/regular_gift_card.html", {
        "gift": gift,
        "signed_in": _signed_in_as_donor(request, gift),
        "updatable": gift.status in (G.ACTIVE, G.PAST_DUE),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "card_config": {
            "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
            "paymentMethodTypes": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
            "currency": gift.currency.lower(),
            "locale": str(money_locale()).replace("_", "-"),
            "messages": _page_messages(),
        },
    })


def _page_messages() -> dict:
    """What the page's script says, in the page's language."""
    return {
        "loadFailed": _("The secure payment fields could not load, so nothing has been sent. "
                        "Please check your connection, allow js.stripe.com if a blocker is on, "
                        "and reload the page."),
        "saving": _("Saving your card…"),
        "bank": _("Your bank wants to confirm it is you…"),
        "bankFailed": _("Your bank could not confirm the card. Nothing was changed; please try "
                        "again or use another card."),
        "check": _("Please check the card details."),
        "lost": _("We lost the connection. Please reload the page to see whether your card was "
                  "saved before trying again."),
        "saved": _("Thank you: your new card is saved and pays your monthly gift from now on."),
        "paid": _("Thank you: your new card is saved, and this month's gift has been taken "
                  "with it. A receipt is on its way to your inbox."),
        "error": _("Something went wrong. Nothing was changed; please try again."),
        **card_field_labels(),
    }


def _link_expired() -> str:
    return _("This link has expired. Ask for a new one on your donor page.")


def _save_card(request, gift: RegularGift) -> JsonResponse:
    """The page's POST: {"confirmation_token": "ctoken_…"} (a card typed), or
    {"setup_intent": "seti_…"} (the bank checked it in the browser)."""
    if len(request.body) > MAX_BODY:
        return JsonResponse({"non_field_errors": [_("The request is too large.")]}, status=400)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"non_field_errors": [_("The request could not be read.")]},
                            status=400)
    token, setup = data.get("confirmation_token"), data.get("setup_intent")
    if not (_an_id(token, "ctoken_") or _an_id(setup, "seti_")) or (token and setup):
        return JsonResponse({"confirmation_token": [
            _("The card details could not be read; please enter them again.")]}, status=400)
    # Each save lets a card be tried at Stripe: counted per gift and per client, as a pay.
    verdict = defence.check_card_update(request, regular_gift=gift)
    if not verdict.allowed:
        headers = {"Retry-After": str(verdict.retry_after)} if verdict.retry_after else {}
        return JsonResponse({"non_field_errors": [defence.REFUSED_MESSAGE]}, status=429,
                            headers=headers)
    try:
        outcome = regular_gift_update_card(
            regular_gift_id=gift.pk, confirmation_token=token or "", setup_intent=setup or "",
            source=DonationEvent.Source.BROWSER)
    except DomainError as exc:
        return JsonResponse(exc.detail, status=exc.status_code)
    except stripe_gateway.PaymentProviderError:
        logger.warning("card page could not reach stripe", extra={"regular_gift": str(gift.pk)})
        return JsonResponse({"non_field_errors": [
            _("We could not reach our card processor. Nothing was changed; please try again "
              "in a moment.")]}, status=503)
    if outcome.outcome == "declined":
        defence.record_card_update_decline(request, regular_gift=gift)
    answer = {"outcome": outcome.outcome, "message": outcome.message,
              "status": donation_selectors.regular_gift_get(regular_gift_id=gift.pk).status}
    if outcome.outcome == "requires_action":
        answer.update(client_secret=outcome.client_secret, setup_intent=outcome.setup_intent)
    return JsonResponse(answer, status=402 if outcome.outcome == "declined" else 200)


def _an_id(value, prefix: str) -> bool:
    return (isinstance(value, str) and value.startswith(prefix) and 8 < len(value) <= 255
            and value.replace("_", "").isalnum())
