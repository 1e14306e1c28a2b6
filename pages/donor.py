"""The donor's own page, /donor/ (SPEC "Pages"; docs/donor-page.md).

Reached with a sign-in link emailed on request: opening the link shows a "Sign in" button
(mail scanners open links; a GET uses nothing up), and the button's POST uses the link up and
signs in: `request.session["donor_email"]` (the address, lower case), on a new session key.
Every page here is about the donor's own data: `Cache-Control: private, no-store`, CSRF on
every form. The views parse and call donors' and donations' services and selectors.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.clients import client_key
from core.errors import DomainError
from core.money import format_money, request_language
from donations.models import RegularGift
from donations.monthly_selectors import regular_gift_next_collection
from donations.receipts.documents import receipt_pdf
from donations.services import regular_gifts as regular_gift_services
from donors import selectors
from donors.news import news_wording
from donors.services import (
    TooManyLinkRequests,
    gift_aid_declaration_cancel,
    news_consent_record,
    sign_in_link_request,
    sign_in_link_use,
)
from donors.statements import statement_pdf
from gateways import stripe as stripe_gateway
from pages.donor_forms import AmountForm, LinkRequestForm, NewsForm

logger = logging.getLogger(__name__)

# The session's key for the signed-in donor: another page (the new card of a monthly gift)
# reads it too.
SESSION_KEY = "donor_email"
private = cache_control(private=True, no_store=True)
BY_DONOR = RegularGift.By.DONOR
# What the monthly gift's services refuse with: said on the page, nothing changed.
REFUSALS = (DomainError, ValidationError, stripe_gateway.PaymentProviderError)


def signed_in_email(request) -> str | None:
    return request.session.get(SESSION_KEY)


def donor_required(view):
    """The signed-in donor's email as `email`; no sign-in: back to /donor/ (its form)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        email = signed_in_email(request)
        if not email:
            return redirect("pages:donor")
        return view(request, *args, email=email, **kwargs)
    return wrapper


def _ask_for_link(request, form: LinkRequestForm):
    """The sign-in form's POST: the same service as POST /api/v1/donor-links/."""
    if form.is_valid():
        try:
            sign_in_link_request(email=form.cleaned_data["email"], client=client_key(request),
                                 origin=request.build_absolute_uri("/"),
                                 language=request_language(request))
        except TooManyLinkRequests as exc:
            form.add_error(None, exc.message)
            response = render(request, "pages/donor/ask.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return redirect("pages:donor-link-sent")
    return render(request, "pages/donor/ask.html", {"form": form}, status=400)


@private
@require_http_methods(["GET", "HEAD", "POST"])
def donor_home(request):
    """Signed in: the donor's gifts, statements, monthly gifts, Gift Aid and news. Otherwise a
    form to ask for a sign-in link, and no gift."""
    if request.method == "POST":
        return _ask_for_link(request, LinkRequestForm(request.POST))
    email = signed_in_email(request)
    if not email:
        return render(request, "pages/donor/ask.html", {"form": LinkRequestForm()})
    regular = selectors.donor_regular_gifts(email=email)
    consent = selectors.news_consent_current(email=email)
    return render(request, "pages/donor/home.html", {
        "email": email,
        "gifts": list(selectors.donor_gifts(email=email)),
        "tax_years": [(year, _tax_year_name(year)) for year in
                      selectors.donor_tax_years(email=email)],
        "regular_gifts": [(gift, regular_gift_next_collection(gift)) for gift in regular],
        "declaration": selectors.donor_declaration(email=email),
        "consent": consent,
        "news_wording": news_wording()[1],
        # Nothing chosen until the donor answers: never a pre-ticked box.
        "news_form": NewsForm(initial={"news": ("yes" if consent.consented else "no")
                                       if consent else None}),
    })


def _tax_year_name(year: int) -> str:
    return f"{year}–{str(year + 1)[-2:]}"


@private
@require_safe
def donor_link_sent(request):
    return render(request, "pages/donor/link_sent.html")


@private
@require_http_methods(["GET", "HEAD", "POST"])
def donor_sign_in(request, token: str):
    """GET: the "Sign in" button (uses nothing up: mail scanners open links). POST: the link
    is used up and the donor signed in. Used or expired: said so, with the form for a new
    one."""
    if request.method == "POST":
        email = sign_in_link_use(token=token)
        if email is None:
            return _link_expired(request)
        request.session.cycle_key()  # a new session key for the signed-in donor
        request.session[SESSION_KEY] = email
        request.session.set_expiry(settings.DONOR_SESSION_SECONDS)
        return redirect("pages:donor")
    if selectors.sign_in_link_usable(token=token) is None:
        return _link_expired(request)
    return render(request, "pages/donor/sign_in.html")


def _link_expired(request):
    return render(request, "pages/donor/link_expired.html", {"form": LinkRequestForm()},
                  status=410)


@private
@require_POST
def donor_sign_out(request):
    request.session.flush()
    messages.success(request, _("You are signed out."))
    return redirect("pages:donor")


@private
@require_safe
@donor_required
def donor_receipt_pdf(request, pk, *, email: str):
    """A gift's receipt PDF, the one emailed with it; 404 unless the gift is the donor's."""
    receipt = selectors.donor_receipt(email=email, donation_id=pk)
    if receipt is None:
        raise Http404("No such receipt")
    return _pdf(receipt_pdf(receipt), f"receipt-{receipt.number}.pdf")


@private
@require_safe
@donor_required
def donor_statement_pdf(request, year: int, *, email: str):
    """The donor's statement for a UK tax year (6 April to 5 April); 404 if they gave none."""
    # date() takes years 1 to 9999; the year after must exist too.
    gifts = selectors.donor_tax_year_gifts(email=email, year=year) if 1 <= year < 9999 else []
    if not gifts:
        raise Http404("No gift in that tax year")
    named = next((g for g in reversed(gifts) if g.donor_name and not g.anonymous), None)
    pdf = statement_pdf(year=year, gifts=gifts, email=email,
                        donor_name=named.donor_name if named else "")
    return _pdf(pdf, f"statement-{year}-{str(year + 1)[-2:]}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _own_regular_gift(email: str, pk):
    gift = selectors.donor_regular_gift(email=email, regular_gift_id=pk)
    if gift is None:
        raise Http404("No such monthly gift")
    return gift


@private
@require_http_methods(["GET", "HEAD", "POST"])
@donor_required
def donor_monthly_cancel(request, pk, *, email: str):
    """GET: what cancelling means, and the button that confirms it. POST: cancelled at
    Stripe at once (nothing more is collected) and here."""
    gift = _own_regular_gift(email, pk)
    if request.method == "POST" and gift.status != gift.Status.CANCELED:
        try:
            regular_gift_services.regular_gift_cancel(gift_id=gift.pk, by=BY_DONOR)
        except REFUSALS as exc:
            logger.warning("donor's cancel failed", extra={"regular_gift": str(gift.pk)})
            return render(request, "pages/donor/monthly_cancel.html",
                          {"gift": gift, "error": _error_message(exc)}, status=503
                          if isinstance(exc, stripe_gateway.PaymentProviderError) else 400)
        messages.success(request, _("Your monthly gift of %(amount)s to %(appeal)s is "
                                    "cancelled. Nothing more will be taken.") % {
            "amount": format_money(gift.amount, gift.currency), "appeal": gift.appeal.title})
        return redirect("pages:donor")
    if gift.status == gift.Status.CANCELED:
        return redirect("pages:donor")
    return render(request, "pages/donor/monthly_cancel.html", {"gift": gift})


@private
@require_http_methods(["GET", "HEAD", "POST"])
@donor_required
def donor_monthly_amount(request, pk, *, email: str):
    """The monthly amount changed from the next month on (nothing is charged now)."""
    gift = _own_regular_gift(email, pk)
    if gift.status == gift.Status.CANCELED:
        return redirect("pages:donor")
    form = AmountForm(request.POST or None, currency=gift.currency)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            amount = form.cleaned_data["amount"]
            try:
                regular_gift_services.regular_gift_change_amount(
                    gift_id=gift.pk, amount=amount, by=BY_DONOR)
            except REFUSALS as exc:
                form.add_error("amount", _error_message(exc))
                status = 503 if isinstance(exc, stripe_gateway.PaymentProviderError) else 400
            else:
                messages.success(request, _("From your next month, you give %(amount)s a "
                                            "month to %(appeal)s.") % {
                    "amount": format_money(amount, gift.currency),
                    "appeal": gift.appeal.title})
                return redirect("pages:donor")
    return render(request, "pages/donor/monthly_amount.html", {"gift": gift, "form": form},
                  status=status)


def _error_message(exc) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return _("We could not reach our card processor. Nothing was changed; please try again "
             "in a moment.")


@private
@require_http_methods(["GET", "HEAD", "POST"])
@donor_required
def donor_gift_aid_cancel(request, *, email: str):
    """GET: what cancelling Gift Aid changes, and the button. POST: recorded with its time."""
    state = selectors.donor_declaration(email=email)
    if state is None or state.cancelled_at is not None:
        return redirect("pages:donor")
    if request.method == "POST":
        gift_aid_declaration_cancel(email=email)
        messages.success(request, _("Your Gift Aid declaration is cancelled: we will not claim "
                                    "Gift Aid on your gifts from now on. Gifts you already made "
                                    "keep it."))
        return redirect("pages:donor")
    return render(request, "pages/donor/gift_aid_cancel.html", {"declaration": state.declaration})


@private
@require_POST
@donor_required
def donor_news(request, *, email: str):
    """The donor's answer about news from the charity, recorded with the wording shown."""
    form = NewsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose yes or no."))
        return redirect("pages:donor")
    consented = form.cleaned_data["news"]
    news_consent_record(email=email, consented=consented)
    messages.success(request, _("Thank you: we will send you news.") if consented
                     else _("We will not send you news."))
    return redirect("pages:donor")
