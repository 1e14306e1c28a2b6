"""Django itself: apps, middleware, templates, i18n and time, static and media files, logging."""

from .environment import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only for local runs and tests; production.py refuses it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-lifeline-local-only"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # An appeal's own text in every language (appeals/translation.py); before the admin, as
    # django-modeltranslation asks.
    "modeltranslation",
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
    "core.apps.CoreConfig",
    "appeals.apps.AppealsConfig",
    "donations.apps.DonationsConfig",
    "finance.apps.FinanceConfig",
    "attribution.apps.AttributionConfig",
    "donors.apps.DonorsConfig",
    "pages.apps.PagesConfig",
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
    # The reader's language (docs/languages.md): the cache in front's choice when it names one
    # of ours, else Django's (the language cookie, then Accept-Language).
    "config.middleware.LanguageMiddleware",
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
# asking the shared cache again (pages/views.py).
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
                "pages.context_processors.charity",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The donor's languages (SPEC, "Pages"), each named in itself for the switcher. Adding one:
# README, "Languages".
LANGUAGES = [
    ("en", "English"),
    ("uk", "Українська"),
    ("pl", "Polski"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
]
# The switcher's choice (django_language) is remembered a year, not only for the session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Our catalogues (locale/<lang>/LC_MESSAGES/django.po), compiled by the build (`make messages`
# extracts, scripts/compile_messages.py compiles): the .mo files are not in git.
# An appeal's own text: each language's field falls back to English where it is empty.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LOCALE_PATHS = [BASE_DIR / "locale"]
# The header nginx puts its choice of language in, for the cached appeal page
# (config/nginx/lifeline.conf.template): Django answers in the language nginx keyed its copy on.
LANGUAGE_HEADER = "HTTP_X_LIFELINE_LANGUAGE"
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"stripe": {"level": "WARNING"}},
}
