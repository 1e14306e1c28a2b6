"""Refuse `make run-scale` unless the shared state lives in shared servers.

    python scripts/scale_preflight.py

Several web processes and workers need one PostgreSQL (SQLite serialises writers and lives
on one disk), one Redis or RabbitMQ broker (the filesystem broker is one machine's folder)
and one Redis cache (rate limits and cached totals must be counted once, not per process).
"""

import os
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
    if problems:
        print("make run-scale refuses to start: state must live in shared servers.",
              *problems, "See README.md, 'Running at scale'.", sep="\n", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
