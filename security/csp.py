"""django-csp's middleware, with Stripe.js's origins added from the settings on each response.

The policy itself is CONTENT_SECURITY_POLICY (config/settings/security.py). Stripe's origins
(gateways.stripe.stripe_sources) are read when the header is built, not when the settings
load, so a stand-in on another port (the tests start one) or real Stripe's hosts are always
the ones allowed.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

from gateways import stripe as stripe_gateway


class StripeCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = {k: list(v) for k, v in (parts.update or {}).items()}
        sources = stripe_gateway.stripe_sources(settings.STRIPE_JS_URL, settings.STRIPE_API_BASE)
        for directive, allowed in sources.items():
            update[directive] = [*update.get(directive, []), *allowed]
        parts.update = update
        return parts
