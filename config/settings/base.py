"""Settings shared by every environment, read from the environment (django-environ).

Stripe: with no STRIPE_SECRET_KEY the app talks to the local stand-in (localstripe) on
STRIPE_API_BASE, through the same SDK code path it uses for real Stripe.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only for local runs and tests; production.py refuses it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-lifeline-local-only"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # Django's admin on Lifeline's admin site: optional two-factor for staff (security/).
    "security.apps.LifelineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gateways.stripe.apps.StripeGatewayConfig",
    "appeals.apps.AppealsConfig",
    "donations.apps.DonationsConfig",
    "finance.apps.FinanceConfig",
    "attribution.apps.AttributionConfig",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "security.apps.SecurityConfig",
    "audit.apps.AuditConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "security.csp.StripeCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "attribution.middleware.AttributionMiddleware",
    # A database outage from a view: 503 and Retry-After, not a 500.
    "config.middleware.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# No page may be framed, except the embed widget (xframe_options_exempt, frame-ancestors *).
X_FRAME_OPTIONS = "DENY"
# The appeal page and widget: each process reuses its last rendering for this long before
# asking the shared cache again (appeals/views.py).
APPEAL_PAGE_LOCAL_SECONDS = env.int("APPEAL_PAGE_LOCAL_SECONDS", default=1)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "appeals.context_processors.charity",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for the write lock rather than
    # failing, and take it at BEGIN so read-then-write transactions cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The charity's time zone: receipt years, export dates and Gift Aid dates use it.
TIME_ZONE = env("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed names, served with far-future cache headers.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Appeal images uploaded in the admin (appeals/images.py, docs/uploads.md): refused above this
# size or pixel count, re-encoded to WebP without metadata, at most this wide.
APPEAL_IMAGE_MAX_BYTES = env.int("APPEAL_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
APPEAL_IMAGE_MAX_PIXELS = 50_000_000
APPEAL_IMAGE_MAX_WIDTH = env.int("APPEAL_IMAGE_MAX_WIDTH", default=1920)

# Email: console unless EMAIL_URL says otherwise (smtp://user:pass@host:port).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Lifeline <receipts@lifeline.invalid>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds per SMTP command

# The charity
CHARITY_NAME = env("CHARITY_NAME", default="Lifeline Relief")
CHARITY_NUMBER = env("CHARITY_NUMBER", default="1234567")
RECEIPT_PREFIX = env("RECEIPT_PREFIX", default="LL")
# The charity's postal address, printed on receipts (one line, or lines separated by ", ").
CHARITY_ADDRESS = env("CHARITY_ADDRESS", default="1 Example Street, London, AB1 2CD")

# Stripe. No key: the local stand-in on STRIPE_API_BASE (production.py refuses that).
# Fake test keys that only the stand-in accepts, and its webhook secret: public, in this repo.
STAND_IN_SECRET_KEY = "sk_test_localstripe"
STAND_IN_PUBLISHABLE_KEY = "pk_test_localstripe"
STAND_IN_WEBHOOK_SECRET = "whsec_localstripe_dev"
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_USES_STAND_IN = not STRIPE_SECRET_KEY
if STRIPE_USES_STAND_IN:
    STRIPE_SECRET_KEY = STAND_IN_SECRET_KEY
    STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default=STAND_IN_PUBLISHABLE_KEY)
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=STAND_IN_WEBHOOK_SECRET)
    STRIPE_JS_URL = STRIPE_API_BASE.rstrip("/") + "/js.stripe.com/v3/"
else:
    STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
STRIPE_ALLOW_LIVE = env.bool("STRIPE_ALLOW_LIVE", default=False)
# Webhooks signed longer ago than this are refused (Stripe's own default).
STRIPE_WEBHOOK_TOLERANCE = 300
STRIPE_TIMEOUT = env.int("STRIPE_TIMEOUT", default=20)
# The payment method types of every PaymentIntent we create ("card,sepa_debit"…). Stripe's
# names are lower-case words joined by "_"; a malformed list is refused here, at start-up,
# not by Stripe at a donor's first gift. (Whether the account has a type enabled only Stripe
# knows: it answers that at PaymentIntent creation.)
STRIPE_PAYMENT_METHOD_TYPES = [
    name.strip() for name in env("STRIPE_PAYMENT_METHOD_TYPES", default="card").split(",")
]
if not all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name)
           for name in STRIPE_PAYMENT_METHOD_TYPES) \
        or len(set(STRIPE_PAYMENT_METHOD_TYPES)) != len(STRIPE_PAYMENT_METHOD_TYPES):
    raise ImproperlyConfigured(
        f"STRIPE_PAYMENT_METHOD_TYPES={','.join(STRIPE_PAYMENT_METHOD_TYPES)!r} is not a "
        "comma-separated list of Stripe payment method types such as 'card' or "
        "'card,sepa_debit' (lower-case names, no empty or repeated item)."
    )

if STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_")) and not STRIPE_ALLOW_LIVE:
    # Every entry point (manage.py, gunicorn, celery) loads settings, so this refuses all.
    raise ImproperlyConfigured(
        f"STRIPE_SECRET_KEY is a live key ({STRIPE_SECRET_KEY[:8]}…): Lifeline runs in test "
        "mode. Use an sk_test_ key, or set STRIPE_ALLOW_LIVE=1 to take real money."
    )

# Celery. No broker configured: kombu's filesystem transport, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange bindings (kombu's default is ./control, in whatever directory we run).
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Messages are acknowledged when a worker takes them, not after the task: the database, not
# the broker, is the record of what is still to do (an unsent receipt is a row the sweeper
# queues again; a pending gift is re-read by reconcile_stripe). Acking after the task made a
# worker's consumer die when Redis restarted mid-task (kombu: AttributeError on the ack over
# the lost connection, seen in tests/faults), and would redeliver only after the visibility
# timeout anyway.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage must not hang a web request: publish gives up fast, the sweeper re-queues.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser bounded in size and depth (config/parsers.py, docs/request-limits.md).
    "DEFAULT_PARSER_CLASSES": ["config.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "donations.api.exception_handler",
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"stripe": {"level": "WARNING"}},
}

# Gift Aid declaration (HMRC model wording, simplified 2015). Versioned: the version and the
# text shown are stored with each declaration.
GIFT_AID_DECLARATION_VERSION = "2025-01"
# HMRC: "a claim is to have up to 1,000 Gift Aid donors". A claim takes at most this many
# donations (one schedule row each, so never more donors), oldest first; the next claim for
# the period takes the rest.
GIFT_AID_CLAIM_MAX_DONATIONS = 1000

CELERY_BEAT_SCHEDULE = {
    # A receipt whose email was lost (broker down when it was queued, a killed worker) goes
    # again within 30-45 s. One query on a partial index of unsent receipts, normally empty:
    # cheap at any size. tests/faults run this same schedule (docs/faults.md).
    "sweep-unsent-receipts": {
        "task": "donations.tasks.sweep_unsent_receipts",
        "schedule": 15.0,
        "kwargs": {"older_than_seconds": 30},
    },
    "reconcile-stripe": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": 300.0,
        "kwargs": {"older_than_minutes": 30},
    },
    "purge-personal-data": {  # donors past the retention period (donations/personal_data.py)
        "task": "donations.tasks.purge_personal_data",
        "schedule": 24 * 3600,
    },
}

# Reconciliation with Stripe (donations/reconciliation.py, docs/reconciliation.md).
# A gift not paid and untouched this long is canceled at Stripe and here: a donor who left
# mid-payment, a 3-D Secure never finished. A day leaves room for a donor who returns later
# the same day, and is Stripe Checkout's own default session lifetime.
DONATION_EXPIRE_HOURS = env.int("DONATION_EXPIRE_HOURS", default=24)
# Pending gifts re-read per run, at most (the rest wait for the next runs, in turn).
RECONCILE_BATCH = env.int("RECONCILE_BATCH", default=200)
# Calls a second a reconciliation may make, at most: a small share of Stripe's 100/s (live)
# and of the retrieve endpoint's 25/s that donors' payments need.
RECONCILE_STRIPE_RATE = env.int("RECONCILE_STRIPE_RATE", default=5)
# How far back the refunds and disputes of settled gifts are brought in line (SPEC).
RECONCILE_SETTLED_DAYS = 120

# Cache: appeal totals (and pages) shown to donors. Per process by default; set CACHE_URL
# (redis://127.0.0.1:6379/2) to share it across web processes. Either way totals are never
# staler than APPEAL_TOTALS_TTL seconds: a change invalidates them, the TTL bounds the rest.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://lifeline")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.TolerantRedisCache"  # an outage is a miss
# The `limits` cache: rate-limit counters (django-ratelimit, the card-testing defence), the
# attack-mode switch and the thanks page's Stripe interval. It must be one for every web
# process, or each process counts alone and every limit is multiplied by their number: the
# CACHE_URL cache when that is shared (Redis, memcached), else a table in the database
# (config.cache.CounterDatabaseCache; the table comes with the migrations).
if CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")):
    CACHES["limits"] = {
        "BACKEND": "config.cache.CounterDatabaseCache",
        "LOCATION": "lifeline_limits_cache",
        # Counters are keyed per address, email and card: many rows, each short-lived; cull
        # (expired rows first) only well past what a busy hour writes.
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    }
else:
    CACHES["limits"] = {**CACHES["default"], "KEY_PREFIX": "limits"}
RATELIMIT_USE_CACHE = "limits"
# The thanks page of a pending gift asks Stripe at most once per gift per this many seconds,
# however often it is loaded (the webhook, ~1 s after payment, and reconciliation do the rest).
THANKS_PAGE_STRIPE_INTERVAL = env.int("THANKS_PAGE_STRIPE_INTERVAL", default=20)
# A cache outage must not stop donors: rate limits are then not enforced (logged).
RATELIMIT_FAIL_OPEN = True
APPEAL_TOTALS_TTL = env.int("APPEAL_TOTALS_TTL", default=5)

# Card-testing defence (donations/defence.py): django-ratelimit rates, "count/period".
DEFENCE_LIMITS = {
    # Lenient for real donors (many share a mobile carrier's or an office's address; test
    # mode's few test cards are shared by everyone), still far below a tester's thousands.
    "declines_per_client": env("DEFENCE_DECLINES_PER_CLIENT", default="30/h"),
    "declines_per_email": env("DEFENCE_DECLINES_PER_EMAIL", default="10/h"),
    "declines_per_card": env("DEFENCE_DECLINES_PER_CARD", default="10/h"),
    # New gifts per client: each makes a PaymentIntent (a call on Stripe's rate limit). A
    # household or a phone carrier's shared address makes a few in 10 minutes, an office's
    # giving day a dozen or two (docs/card-testing.md); 600 had let 640 through in 7 s.
    "creates_per_client": env("DEFENCE_CREATES_PER_CLIENT", default="30/10m"),
    "setups_per_client": env("DEFENCE_SETUPS_PER_CLIENT", default="60/10m"),
    # "400 cards on a single donor in less than 3 minutes" (DOMAIN.md): cards tried per gift.
    "cards_per_gift": env("DEFENCE_CARDS_PER_GIFT", default="10/h"),
}
DEFENCE_ATTACK_LIMITS = {
    "declines_per_client": "5/h",
    "declines_per_email": "3/h",
    "declines_per_card": "2/d",
    "creates_per_client": "10/10m",
    "setups_per_client": "20/10m",
    "cards_per_gift": "3/h",
}
DEFENCE_ATTACK_MIN_AMOUNT = {"GBP": 500, "EUR": 500, "USD": 500, "JPY": 500}
# Attack mode switches itself on after this many declines across the site, for this long.
DEFENCE_ATTACK_THRESHOLD = env("DEFENCE_ATTACK_THRESHOLD", default="200/10m")
DEFENCE_ATTACK_DURATION = env.int("DEFENCE_ATTACK_DURATION", default=3600)
# Which request header holds the client's address: REMOTE_ADDR unless a trusted proxy sets one.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

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
AXES_CLIENT_IP_CALLABLE = "security.axes.client_ip"
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# Every failure and lockout is kept for the audit log (Admin › Audit log), not only the count.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Two-factor for staff (django-otp, TOTP): optional unless ADMIN_REQUIRE_2FA. A staff member
# who has enrolled a device is always asked for its code at the admin login.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = CHARITY_NAME
# Seconds a worker keeps trying to record a receipt the mail server accepted while the
# database was away, rather than let it be sent again (donations.services.receipt_send).
RECEIPT_RECORD_PATIENCE = env.int("RECEIPT_RECORD_PATIENCE", default=60)
# Seconds a receipt's sender holds its lease on the receipt while it talks to the mail server
# (renewed every third of it while the sender lives): a crashed sender's receipt is sent again
# this long after the crash, at the latest (donations.services.receipt_send).
RECEIPT_SEND_LEASE = env.int("RECEIPT_SEND_LEASE", default=15)
# The same for a donor's card setup or payment while Stripe is called (donation_pay): a
# second click meanwhile is told the payment is in progress.
PAYMENT_CLAIM_SECONDS = env.int("PAYMENT_CLAIM_SECONDS", default=30)
