"""The API: Django REST framework, request bounds, the OpenAPI schema."""

from .environment import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser bounded in size and depth (core/parsers.py, docs/request-limits.md).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
# Every JSON body the project reads (the API, Stripe's webhooks): nested at most this deep.
JSON_MAX_DEPTH = 32
# An API body larger than this is refused unread (a donation is well under 2 KB). Webhooks are
# bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) instead: Stripe's events are larger.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Lifeline API",
    "DESCRIPTION": "Appeals and donations. Money is exchanged as decimal strings in major units.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no third-party request.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The error answers (400, 404, 409, 429, Finance's 401/403), documented in one place.
    # Several models have a `status` with its own choices: each enum named for its model.
    "ENUM_NAME_OVERRIDES": {
        "DonationStatusEnum": "donations.models.Donation.Status",
        "RegularGiftStatusEnum": "donations.gifts.RegularGift.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
}
