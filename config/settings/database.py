"""The database: DATABASE_URL, else a SQLite file shared by the web and worker processes."""

from .environment import BASE_DIR, env

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for the write lock rather than
    # failing, and take it at BEGIN so read-then-write transactions cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif env.bool("DATABASE_POOL", default=False):
    # The ASGI web processes (config/asgi.py turns it on): a bounded pool per process instead
    # of a new PostgreSQL backend per request; a connection goes back to it at the end of the
    # request and while the request waits on Stripe (core/db.py). docs/db-pool.md.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
    # With a pool, Django's health checks make the pool check each connection before handing
    # it out: one that died there (PostgreSQL restarted) is replaced, not given to a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_SIZE", default=16),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
