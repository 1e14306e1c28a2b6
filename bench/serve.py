"""What the web benches share: a throw-away PostgreSQL database with the demo appeals, the
Stripe stand-in, and gunicorn serving the app (as `make run` does: 2 ASGI workers, config/gunicorn.py)."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from tests.conftest import free_port, wait_for  # noqa: E402


@contextlib.contextmanager
def standin():
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts/stripe_standin.py"),
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/js.stripe.com/v3/")
        os.environ["STRIPE_API_BASE"] = url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def database():
    """A fresh database beside DATABASE_URL's, migrated and seeded; dropped afterwards."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (the benches measure PostgreSQL).")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    call_command("seed_demo", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        yield url
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def gunicorn(db_url: str, workers: int = 2):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="bench.settings")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.asgi", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the machine may be busy: wait for the workers patiently
            try:
                requests.get(url + "/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(20):  # every worker up and warm
            requests.get(url + "/appeals/emergency-appeal/", timeout=5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        time.sleep(0.2)


def cpu_seconds(pattern: str) -> float:
    """User+system CPU seconds used so far by the live processes whose command line contains
    `pattern` (Linux /proc). Differences over a timed run show where the machine's cores went."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    ticks = 0
    for pid in found.split():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system
