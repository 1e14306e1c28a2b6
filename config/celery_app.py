import os
from pathlib import Path

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lifeline")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Workers keep their database connection from task to task (docs/worker-connections.md).
# Celery's Django fix-up closes every connection before and after each task (`conn.close()`,
# whatever CONN_MAX_AGE says) unless CELERY_DB_REUSE_MAX is set, and then once every that
# many tasks: set so high that it never does, the connections' lifetime is Django's own
# (below). The fix-up still closes them in each new pool process (a fork must not share one).
app.conf.update(CELERY_DB_REUSE_MAX=2**31)
app.autodiscover_tasks()
# Tasks that live beside their capability rather than in an app's tasks.py.
app.autodiscover_tasks(["donations.receipts"])


@signals.task_prerun.connect
@signals.task_postrun.connect
def _connections_as_after_a_request(sender=None, **kwargs):
    """Around each task, what Django does around each request: a connection older than
    CONN_MAX_AGE, broken, or left outside autocommit is closed (the next query opens a new
    one), and CONN_HEALTH_CHECKS pings a kept one before its first query. Not for a task
    run eagerly in the caller, whose connection (and transaction) it shares."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_broker_folders(sender, **kwargs):
    """kombu's filesystem transport (no CELERY_BROKER_URL) needs its folders before the first
    message is sent or read: made here, when the app is first configured in a process (a
    worker starting, a web process queuing its first task), not by the settings at import."""
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for name in BROKER_FOLDERS:
        if options.get(name):
            Path(options[name]).mkdir(parents=True, exist_ok=True)
