"""System checks for the Stripe set-up (the live-key refusal itself is in settings)."""

from django.conf import settings
from django.core.checks import Warning, register

import gateways.stripe.standin as standin


@register()
def stripe_configuration(app_configs, **kwargs):
    problems = []
    if not standin.active():
        if not settings.STRIPE_PUBLISHABLE_KEY:
            problems.append(Warning("STRIPE_PUBLISHABLE_KEY is unset: the card form cannot load.",
                                    id="lifeline.W001"))
        if not settings.STRIPE_WEBHOOK_SECRET:
            problems.append(Warning("STRIPE_WEBHOOK_SECRET is unset: every webhook will be "
                                    "refused.", id="lifeline.W002"))
    return problems
