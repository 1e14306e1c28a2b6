"""Settings for the processes the fault tests start (web, workers, beat): the test settings,
with production's schedule (config/settings/celery.py CELERY_BEAT_SCHEDULE) unchanged, so a
test that sees the sweeper or reconciliation recover from an outage sees what production
would, at production's pace."""

from config.settings.test import *  # noqa: F401,F403
