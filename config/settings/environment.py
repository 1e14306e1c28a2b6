"""What every settings module reads: the environment (django-environ) and the repo's paths.
Nothing here, nor in any settings module, writes to disk: folders are made where they are
used (the Makefile's `var` target, config/celery_app.py for the broker's folders)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
