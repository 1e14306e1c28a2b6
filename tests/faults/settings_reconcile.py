"""The fault processes' settings (tests/faults/settings.py) with ONE test-only change: the
scheduler's `reconcile_stripe` runs every 10 s for gifts pending over 1 minute, where
production's schedule (config/settings/base.py) runs it every 300 s for gifts pending over
30 minutes. The same beat entry, the same task on the same broker and workers; only the two
numbers are shortened, so that a test can watch it bring in a lost webhook in two minutes."""

from tests.faults.settings import *  # noqa: F401,F403
from tests.faults.settings import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "reconcile-stripe": {**CELERY_BEAT_SCHEDULE["reconcile-stripe"],
                         "schedule": 10.0, "kwargs": {"older_than_minutes": 1}},
}
