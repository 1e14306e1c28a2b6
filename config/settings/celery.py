"""Celery: the broker (kombu's filesystem transport in var/broker/ when CELERY_BROKER_URL is
unset; config/celery_app.py makes its folders when the app is configured, not here), the
task policy, and the beat schedule."""

from pathlib import Path

from .django import TIME_ZONE
from .environment import VAR_DIR, env

# Celery. No broker configured: kombu's filesystem transport, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
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

CELERY_BEAT_SCHEDULE = {
    # A receipt whose email was lost (broker down when it was queued, a killed worker) goes
    # again within 30-45 s. One query on a partial index of unsent receipts, normally empty:
    # cheap at any size. tests/faults run this same schedule (docs/faults.md).
    "sweep-unsent-receipts": {
        "task": "donations.tasks.sweep_unsent_receipts",
        "schedule": 15.0,
        "kwargs": {"older_than_seconds": 30},
    },
    # A monthly gift's email to its donor (a failed month, the gift ended) whose message was
    # lost goes again; its retries (backoff up to 300 s) are left 10 minutes first.
    "sweep-unsent-regular-gift-notices": {
        "task": "donations.tasks.sweep_unsent_regular_gift_notices",
        "schedule": 300.0,
        "kwargs": {"older_than_seconds": 600},
    },
    "reconcile-stripe": {
        "task": "donations.tasks.reconcile_stripe",
        "schedule": 300.0,
        "kwargs": {"older_than_minutes": 30},
    },
    # Donors past the retention period (donations/services/personal_data.py).
    "purge-personal-data": {
        "task": "donations.tasks.purge_personal_data",
        "schedule": 24 * 3600,
    },
}
