from django.apps import AppConfig


class StripeGatewayConfig(AppConfig):
    """Stripe, as an app for its system checks only: it has no models."""

    name = "gateways.stripe"
    label = "stripe_gateway"

    def ready(self):
        from gateways.stripe import checks  # noqa: F401  (registers system checks)
