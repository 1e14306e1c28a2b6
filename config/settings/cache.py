"""Caches: appeal totals and pages, and the `limits` cache every web process shares."""

from .environment import env

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
# A cache outage must not stop donors: rate limits are then not enforced (logged).
RATELIMIT_FAIL_OPEN = True
