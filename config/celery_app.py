import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lifeline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks that live beside their capability rather than in an app's tasks.py.
app.autodiscover_tasks(["donations.receipts"])

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
