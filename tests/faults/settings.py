"""Settings for the processes the fault tests start (web, workers, beat): the test settings,
with the receipt sweep every few seconds instead of every minute, so a test sees the sweeper
recover from an outage without waiting minutes. The mechanism is production's (beat queues
`sweep_unsent_receipts`); only the period is shorter."""

from config.settings.test import *  # noqa: F401,F403
from config.settings.test import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "sweep-unsent-receipts": {
        "task": "donations.tasks.sweep_unsent_receipts",
        "schedule": 3.0,
        "kwargs": {"older_than_seconds": 5},
    },
}
