"""The test suite: base settings, with its own broker folder and a file SQLite database that
a real worker process can share."""

import os
from pathlib import Path

# One test session's database, broker folder and queue are its own, so `make test` can run
# beside `make run` and beside another session. Set in os.environ before base reads them, so
# the worker processes the tests start inherit the same names.
_SESSION = os.environ.setdefault("LIFELINE_TEST_SESSION", str(os.getpid()))
os.environ.setdefault(
    "CELERY_BROKER_DIR",
    str(Path(__file__).resolve().parents[2] / "var" / f"test-broker-{_SESSION}"),
)

from .base import *  # noqa: E402,F401,F403
from .base import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Page views left unwritten when the suite ends belong to test databases already dropped.
ATTRIBUTION_FLUSH_AT_EXIT = False
# Primary keys repeat between tests: every page read asks the (cleared) cache.
APPEAL_PAGE_LOCAL_SECONDS = 0
WHITENOISE_AUTOREFRESH = True
# Primary keys repeat and the limits cache outlives a test: the feed's limit is tested on its own.
PUBLISHER_FEED_RATE = "100000/hour"
if "EMAIL_URL" not in os.environ:
    # In-process tests read django.core.mail.outbox; the worker process gets a real SMTP URL.
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

CELERY_TASK_DEFAULT_QUEUE = f"lifeline-test-{_SESSION}"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the Celery worker process started by the tests opens it too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{_SESSION}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_lifeline_{_SESSION}"}
