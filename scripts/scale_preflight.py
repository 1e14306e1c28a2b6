"""Refuse `make run-scale` unless the shared state lives in shared servers.

    python scripts/scale_preflight.py

Several web processes and workers need one PostgreSQL (SQLite serialises writers and lives
on one disk), one Redis or RabbitMQ broker (the filesystem broker is one machine's folder)
and one Redis cache (rate limits and cached totals must be counted once, not per process).
nginx serves the appeal page from its cache in front of gunicorn (docs/page-cache.md): it
must be installed (`make nginx`), and its port (PORT_WEB) must not be gunicorn's (PORT_APP).
"""

import os
import shutil
import sys

CHECKS = [
    ("DATABASE_URL", ("postgres://", "postgresql://", "pgsql://"),
     "postgres://USER@HOST:5432/lifeline"),
    ("CELERY_BROKER_URL", ("redis://", "rediss://", "amqp://", "amqps://"),
     "redis://127.0.0.1:6379/0"),
    ("CACHE_URL", ("redis://", "rediss://"), "redis://127.0.0.1:6379/2"),
]


def main() -> int:
    problems = []
    for name, schemes, example in CHECKS:
        value = os.environ.get(name, "")
        if not value.startswith(schemes):
            shown = value.split("://")[0] + "://…" if value else "unset"
            problems.append(f"  {name} is {shown}; run-scale needs e.g. {name}={example}")
    if not (shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)):
        problems.append("  nginx is not installed; `make nginx` installs Debian's")
    if os.environ.get("PORT_WEB", "8000") == os.environ.get("PORT_APP", "8001"):
        problems.append("  PORT_WEB (nginx) and PORT_APP (gunicorn) must differ")
    if problems:
        print("make run-scale refuses to start (shared servers for the state, nginx in front):",
              *problems, "See README.md, 'Running at scale'.", sep="\n", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
