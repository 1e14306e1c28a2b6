"""Settings for the benches only: production-like (DEBUG off, hashed compressed static
files), plus a one-line view at /bench/ping to compare the appeal page with. Never used by
`make run` or production."""

from config.settings.base import *  # noqa: F401,F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}
