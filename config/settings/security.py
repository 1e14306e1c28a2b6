"""Security (docs/security.md): Content Security Policy, the admin login throttle, two-factor
for staff."""

from datetime import timedelta

from csp.constants import NONE, SELF

from .environment import env
from .lifeline import CHARITY_NAME

# Security (docs/security.md). Content Security Policy (django-csp): our own origin, plus
# Stripe.js's origins, which security.csp.StripeCSPMiddleware adds from STRIPE_JS_URL and
# STRIPE_API_BASE; nothing else third-party. No inline script or style anywhere: the cached
# appeal pages could not carry a per-response nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # Framing refused everywhere but the embed widget (csp_replace there).
        "frame-ancestors": [NONE],
    },
}

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out (the right password too) for the
# cool-off. The address is read as the card-testing defence reads it (RATELIMIT_IP_META_KEY).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.clients.client_address"
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# Every failure and lockout is kept for the audit log (Admin › Audit log), not only the count.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Two-factor for staff (django-otp, TOTP): optional unless ADMIN_REQUIRE_2FA. A staff member
# who has enrolled a device is always asked for its code at the admin login.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = CHARITY_NAME
