"""The donor's pages: the home page, the appeal page, its widget and the thanks page.

The appeal page and the widget answer from a cache: the HTML is rendered once per appeal
(every few seconds at most, and again as soon as its totals change), with no query. The
appeal page is then the same bytes for every reader, so a shared cache in front may keep it
(docs/page-cache.md): its script reads the reader's attribution from the address and counts
the view (static/js/attribution.js). The widget still has the reader's attribution put in
per request. Pages read through the domain apps' selectors and change nothing but through
their services.
"""

import json
import logging
import time
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache, caches
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from appeals import selectors
from attribution import counter, sharing
from attribution import selectors as attribution_selectors
from core.attribution import ATTRIBUTION_FIELDS
from core.money import (
    CURRENCY_EXPONENT,
    FEE_ESTIMATE,
    MAX_AMOUNT,
    MIN_AMOUNT,
    format_money,
    money_locale,
)
from donations import selectors as donation_selectors
from donations.giftaid import gift_aid_wording
from donations.models import Donation, DonationEvent
from donations.services import stripe_events as services
from donations.states import PAID
from gateways import stripe as stripe_gateway
from pages.script_messages import script_messages

logger = logging.getLogger(__name__)

# Where the per-request parts go in the widget's cached HTML.
ATTRIBUTION_QUERY = "lifeline-attribution-query"
SUCCESSOR_QUERY = "lifeline-successor-query"
READERS_TOTAL = "lifeline-readers-total"
PAGE_CACHE_VERSION = 5
# In front of the shared cache, each process keeps the page it last used for this long
# (a dict read instead of a cache round trip); a gift shows on the page at most that late.
_local: dict[str, tuple[float, dict]] = {}


def _percent(appeal) -> int:
    """How far the appeal is to its goal, for its progress bar (0 to 100)."""
    return min(100, appeal.raised_amount * 100 // appeal.goal_amount)


def index(request):
    appeals = selectors.appeal_list_public()
    for appeal in appeals:
        appeal.percent = _percent(appeal)
    return render(request, "pages/index.html", {"appeals": appeals})


def _appeal_context(slug, *, preview=False):
    appeal = selectors.appeal_get_for_preview(slug) if preview else selectors.appeal_get_public(slug)
    if appeal is None:
        raise Http404("No such appeal")
    currency = appeal.currency
    pct, fixed = FEE_ESTIMATE[currency]
    return {
        "appeal": appeal,
        "percent": _percent(appeal),
        "suggested": list(appeal.suggested_amounts.all()),
        "designations": list(appeal.designations.all()),
        "attribution_fields": ATTRIBUTION_FIELDS,
        "attribution_query": ATTRIBUTION_QUERY,
        "successor": selectors.appeal_successor_public(appeal),
        "successor_query": SUCCESSOR_QUERY,
        "readers_total": READERS_TOTAL,
        "gift_aid_wording": gift_aid_wording(settings.CHARITY_NAME),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "form_config": json.dumps(
            {
                "appeal": appeal.slug,
                "currency": currency,
                "locale": str(money_locale()).replace("_", "-"),
                # Stripe's Payment Element in the page's language ("auto": the browser's,
                # where Stripe has no translation of it).
                "stripeLocale": stripe_gateway.elements_locale(translation.get_language()),
                # The script's own words, in the page's language (CSP: no inline script).
                "messages": script_messages(),
                "exponent": CURRENCY_EXPONENT[currency],
                "min": MIN_AMOUNT[currency],
                "max": MAX_AMOUNT[currency],
                "feePercent": str(pct),
                "feeFixed": fixed,
                "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
                "paymentMethodTypes": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
                "attribution": ATTRIBUTION_FIELDS,
            }
        ),
    }


def _page_key(slug: str, kind: str) -> str:
    """One rendering per appeal, kind and language: a German reader gets the German page."""
    return f"appeal-page:v{PAGE_CACHE_VERSION}:{kind}:{translation.get_language()}:{slug}"


def _cached_page(request, slug: str, kind: str, template: str) -> dict:
    """{"html", "appeal_id", "totals"} for this appeal, rendered at most once per TTL.

    The entry is dropped as soon as the appeal's cached totals are (a gift succeeded or was
    refunded: selectors.appeal_totals_changed), so a gift shows within
    APPEAL_PAGE_LOCAL_SECONDS.
    """
    key = _page_key(slug, kind)
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and local[0] > now:
        return local[1]
    entry = cache.get(key)
    if entry is not None:
        totals = cache.get(selectors.totals_key(entry["appeal_id"]))
        if totals is not None and tuple(totals) == entry["totals"]:
            _local[key] = (now + settings.APPEAL_PAGE_LOCAL_SECONDS, entry)
            return entry
    context = _appeal_context(slug)
    appeal = context["appeal"]
    entry = {
        "html": render_to_string(template, context, request=request),
        "appeal_id": appeal.pk,
        "totals": (appeal.raised_amount, appeal.donor_count),
    }
    cache.set(key, entry, timeout=settings.APPEAL_TOTALS_TTL)
    _local[key] = (now + settings.APPEAL_PAGE_LOCAL_SECONDS, entry)
    return entry


def _respond(entry: dict, html: str, *, kind: str, attribution: dict) -> HttpResponse:
    counter.record_view(appeal_id=entry["appeal_id"], kind=kind, attribution=attribution)
    response = HttpResponse(html)
    # The HTML carries this reader's attribution: no shared cache may keep it.
    response["Cache-Control"] = "private, no-cache"
    return response


def _shared_response(html: str) -> HttpResponse:
    """The appeal page as every reader gets it. A shared cache may keep it
    APPEAL_PAGE_SHARED_SECONDS (the totals may be that stale: SPEC); a browser asks again
    each time (max-age=0), so a reader coming back sees the shared cache's copy."""
    response = HttpResponse(html)
    shared_seconds = settings.APPEAL_PAGE_SHARED_SECONDS
    response["Cache-Control"] = f"public, max-age=0, s-maxage={shared_seconds}"
    return response


def _with_successor_query(html: str, attribution: dict) -> str:
    """The link to a closed appeal's successor carries the reader's utm_*/ref on, so an old
    article's readers arrive there as they would have here."""
    if SUCCESSOR_QUERY not in html:
        return html
    params = {name: value for name, value in attribution.items() if value}
    return html.replace(SUCCESSOR_QUERY, escape("?" + urlencode(params)) if params else "")


@require_safe
def appeal_detail(request, slug):
    """The same bytes for every reader, whatever the query string and cookies: nothing here
    reads the request (request.user, the session, a CSRF token would each add Vary: Cookie),
    and the page's script does the per-reader part. The view is counted by its beacon."""
    if "preview" in request.GET:
        if request.GET["preview"] and request.user.is_staff:
            # An admin's preview (drafts too): rendered fresh, never cached, never counted.
            context = _appeal_context(slug, preview=True)
            context["preview"] = True
            response = render(request, "pages/appeal.html", context)
            response["Cache-Control"] = "private, no-store"
            return response
        # Not staff: the public page, but this answer read the session (Vary: Cookie).
        response = HttpResponse(_cached_page(request, slug, "page", "pages/appeal.html")["html"])
        response["Cache-Control"] = "private, no-store"
        return response
    return _shared_response(_cached_page(request, slug, "page", "pages/appeal.html")["html"])


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@require_safe
def appeal_embed(request, slug):
    """The publisher's widget: the only page that may be framed. Its links to the full form
    carry the article's attribution (the iframe's own query string), marked as the embed."""
    entry = _cached_page(request, slug, "embed", "pages/embed.html")
    params = {name: value for name, value in request.attribution.items() if value}
    params.setdefault("utm_medium", "embed")
    html = entry["html"].replace(ATTRIBUTION_QUERY, escape(urlencode(params)))
    # The successor's link carries the article's own parameters, without the widget's mark.
    html = _with_successor_query(html, request.attribution)
    html = html.replace(READERS_TOTAL, _readers_total(entry, request.attribution["utm_source"]))
    # Counted as the gifts through its links will be: medium "embed" unless the snippet says.
    return _respond(entry, html, kind="embed", attribution=params)


def _readers_total(entry: dict, source: str) -> str:
    """"Readers of <publication> gave £X to this appeal" for an embed opened with
    utm_source, from a cache kept per appeal, source and totals (no query per view: at most
    as stale as the appeal's totals); nothing before its readers gave."""
    if not source:
        return ""
    name, raised, currency = attribution_selectors.source_raised(
        appeal_id=entry["appeal_id"], source=source, totals=entry["totals"])
    if raised <= 0:
        return ""
    sentence = gettext("Readers of %(publication)s gave %(amount)s to this appeal") % {
        "publication": escape(name), "amount": escape(format_money(raised, currency))}
    return f'<p class="embed-readers" data-testid="readers-total">{sentence}</p>'


@cache_control(private=True, no_store=True)  # the id is the page's only secret
def thanks(request, pk):
    """The donor's confirmation page. Asks Stripe (never the browser) while still pending, at
    most once per gift per THANKS_PAGE_STRIPE_INTERVAL seconds, whoever reloads it: the
    webhook and reconciliation bring the rest."""
    donation = donation_selectors.donation_get_for_thanks(donation_id=pk)
    if donation is None:
        raise Http404("No Donation matches the given query.")  # as get_object_or_404 said
    if donation.status in (Donation.Status.PENDING, Donation.Status.FAILED) and _may_ask_stripe(
        donation.pk
    ):
        try:
            donation = services.donation_sync(
                donation_id=donation.pk, source=DonationEvent.Source.BROWSER
            ) or donation
        except stripe_gateway.PaymentProviderError:
            logger.warning("thanks page could not ask stripe", extra={"donation_id": str(pk)})
        donation = donation_selectors.donation_get_for_thanks(donation_id=pk)
    receipt = getattr(donation, "receipt", None)
    embed = request.GET.get("embed") == "1"
    response = render(request, "pages/thanks.html", {
        "donation": donation, "receipt": receipt, "embed": embed,
        "share": _share(request, donation) if donation.status in PAID else None,
        "failure_message": stripe_gateway.decline_message(donation.failure_message),
        "receipt_to": mask_email(donation.email),
    })
    if embed:
        # The widget's gift ends in the publisher's iframe: this page may be framed there
        # too. The framing site cannot read it (another origin), and it has nothing to click
        # but links, so framing shows the donor nothing they would not see in a tab.
        response.xframe_options_exempt = True
        response._csp_replace = {"frame-ancestors": ["*"]}  # as csp_replace sets it
    return response


def _share(request, donation) -> dict:
    """The thanks page's share links: the appeal, carrying the article that started the
    chain (attribution.sharing), so the next reader's gift counts for it too."""
    url = sharing.share_url(
        appeal_url=request.build_absolute_uri(donation.appeal.get_absolute_url()),
        attribution={name: getattr(donation, name) for name in ATTRIBUTION_FIELDS})
    message = gettext("I gave to the %(appeal)s. Will you?") % {"appeal": donation.appeal.title}
    return {"url": url, "links": sharing.share_links(url=url, title=donation.appeal.title,
                                                     message=message)}


def mask_email(address: str) -> str:
    """"j…@example.com": enough for donors to know their own address, not to read another's
    off a shared link (the thanks page's address is its only secret)."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}…{at}{domain}" if at else address


def _may_ask_stripe(donation_id) -> bool:
    """True for the first view of the interval (an atomic add in the shared limits cache)."""
    return caches[settings.RATELIMIT_USE_CACHE].add(
        f"thanks-stripe:{donation_id}", 1, timeout=settings.THANKS_PAGE_STRIPE_INTERVAL)


@cache_control(private=True, no_store=True)
@require_safe
def publisher_page(request):
    """The publisher's page: a form for its source and key, and its feed shown as tables by
    its script (static/js/publishers.js), which reads the feed with the key from the browser.
    The page holds no figure and no key itself (docs/publishers.md)."""
    return render(request, "pages/publishers.html", {"texts": {
        "missing": gettext("Enter your publication and your key."),
        "status401": gettext("That key is not valid. Ask the charity for a new one."),
        "status403": gettext("That key is for another publication."),
        "status429": gettext("Too many requests: try again in %(seconds)s seconds."),
        "failed": gettext("The figures could not be read. Please try again."),
        "hidden": gettext("fewer than 5"),
        "noArticle": gettext("(no article)"),
        "noPlacement": gettext("(none)"),
        "nothing": gettext("No views or gifts in this period."),
        "noComparison": gettext("No article has two placements with 5 gifts or more yet."),
        "clear": gettext("Yes: unlikely to be chance"),
        "unclear": gettext("Not yet: could be chance"),
    }})
