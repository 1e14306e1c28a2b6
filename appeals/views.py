import json
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt

from appeals import selectors
from donations.money import (
    CURRENCY_EXPONENT,
    FEE_ESTIMATE,
    MAX_AMOUNT,
    MIN_AMOUNT,
    SYMBOL,
    format_money,
)
from donations.serializers import ATTRIBUTION_FIELDS
from donations.services import gift_aid_wording


def index(request):
    appeals = selectors.appeal_list_public()
    return render(request, "appeals/index.html", {"appeals": appeals})


def _appeal_context(request, slug):
    appeal = selectors.appeal_get_public(slug)
    if appeal is None:
        raise Http404("No such appeal")
    currency = appeal.currency
    pct, fixed = FEE_ESTIMATE[currency]
    attribution = {name: request.GET.get(name, "")[:500] for name in ATTRIBUTION_FIELDS}
    return {
        "appeal": appeal,
        "raised_display": format_money(appeal.raised_amount, currency),
        "percent": min(100, appeal.raised_amount * 100 // appeal.goal_amount),
        "suggested": list(appeal.suggested_amounts.all()),
        "designations": list(appeal.designations.all()),
        "attribution": attribution,
        # Minted per render: a double tap or a retried request reuses it (one donation).
        "idempotency_key": str(uuid.uuid4()),
        "gift_aid_wording": gift_aid_wording(settings.CHARITY_NAME),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "form_config": json.dumps(
            {
                "appeal": appeal.slug,
                "currency": currency,
                "exponent": CURRENCY_EXPONENT[currency],
                "symbol": SYMBOL[currency],
                "min": MIN_AMOUNT[currency],
                "max": MAX_AMOUNT[currency],
                "feePercent": str(pct),
                "feeFixed": fixed,
                "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
            }
        ),
    }


def appeal_detail(request, slug):
    return render(request, "appeals/detail.html", _appeal_context(request, slug))


@xframe_options_exempt
def appeal_embed(request, slug):
    """The publisher's widget: the only page that may be framed."""
    context = _appeal_context(request, slug)
    params = {name: value for name, value in context["attribution"].items() if value}
    params.setdefault("utm_medium", "embed")
    context["donate_url"] = f"{context['appeal'].get_absolute_url()}?{urlencode(params)}"
    return render(request, "appeals/embed.html", context)
