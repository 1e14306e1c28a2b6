"""Request deadlines: a request that waited too long before its view could start is shed
(503, Retry-After) by config/asgi.py before Django runs (docs/request-deadlines.md)."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# Seconds a request may have waited (since the proxy received it: X-Request-Start from a
# trusted proxy; else since this process did) before it is answered 503 unread. 0: never shed.
# A write to the API (a gift, a payment): its page keeps waiting and retries a shed pay once,
# so it may wait longer than a page. A page or a read: a reader has reloaded or left by then.
REQUEST_DEADLINE_SECONDS = {
    "api_write": env.float("REQUEST_DEADLINE_API_WRITE_SECONDS", default=20.0),
    "read": env.float("REQUEST_DEADLINE_READ_SECONDS", default=10.0),
}
# Never shed: Stripe's webhooks (Stripe would retry, but a late event is still worth applying)
# and the health checks (a shed /healthz would have the process restarted for being busy).
REQUEST_DEADLINE_EXEMPT_PATHS = ("/stripe/webhook/", "/healthz", "/readyz")
# Requests in Django at once per web process, at most (0: no bound, the default); the others
# wait on the event loop, with no thread, and are shed at their deadline. Off by default: a
# request holds its slot while Stripe answers (its pooled database connection it gives back,
# docs/db-pool.md), so a Stripe stall would fill the slots. Figures: docs/request-deadlines.md.
REQUEST_CONCURRENCY_PER_PROCESS = env.int("REQUEST_CONCURRENCY_PER_PROCESS", default=0)
# The Retry-After of a shed request, in seconds.
REQUEST_SHED_RETRY_AFTER = env.int("REQUEST_SHED_RETRY_AFTER", default=2)

for _name, _seconds in REQUEST_DEADLINE_SECONDS.items():
    if not 0 <= _seconds <= 600:
        raise ImproperlyConfigured(
            f"REQUEST_DEADLINE_{_name.upper()}_SECONDS={_seconds!r}: seconds from 0 (never "
            "shed) to 600."
        )
if not 0 <= REQUEST_CONCURRENCY_PER_PROCESS <= 1000:
    raise ImproperlyConfigured(
        f"REQUEST_CONCURRENCY_PER_PROCESS={REQUEST_CONCURRENCY_PER_PROCESS!r}: requests from 0 "
        "(no bound) to 1000."
    )
if not 1 <= REQUEST_SHED_RETRY_AFTER <= 120:
    raise ImproperlyConfigured(
        f"REQUEST_SHED_RETRY_AFTER={REQUEST_SHED_RETRY_AFTER!r}: seconds from 1 to 120."
    )
