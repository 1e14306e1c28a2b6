"""N donors giving at once for M minutes through the API and the stand-in, against 2 web
processes, 2 Celery workers and 1 beat; then gifts, receipts and emails counted and compared.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    .venv/bin/python bench/load.py [--donors 20] [--minutes 1]

Everything on loopback, bounded in time: a throwaway database on DATABASE_URL's PostgreSQL
(or, without DATABASE_URL, a private PostgreSQL cluster in a temp directory), its own
redis-server (broker and cache), the Stripe stand-in, an aiosmtpd inbox, gunicorn with 2
ASGI processes (config/gunicorn.py), `celery worker` × 2 (concurrency 2) and `celery beat`
(the machinery of tests/faults/conftest.py). Each donor creates a gift, puts the card into a
ConfirmationToken at the stand-in as Stripe.js does, and pays on our server with it (POST
/api/v1/donations/, POST /v1/confirmation_tokens at the stand-in, …/pay/), then starts the
next gift. The card-testing defence's per-client limits are raised for the web processes
(all donors are 127.0.0.1).
After M minutes the donors stop and the bench waits (at most --drain seconds) for every
receipt email.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

django.setup()

from tests.faults.conftest import (  # noqa: E402
    Donors, Lifeline, PrivatePostgres, PrivateRedis,
)

SETTINGS = "bench.settings"  # production-like: DEBUG off, receipts swept every minute


class SharedPostgres(PrivatePostgres):
    """DATABASE_URL's server: only throwaway databases are made and dropped on it."""

    def __init__(self, url: str):  # noqa: D107 - nothing to start or stop
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.template = f"bench_load_tpl_{os.getpid()}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def stop(self, mode: str = "fast") -> None:
        self.execute(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else (values[0] if values else float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--drain", type=float, default=300.0, help="max seconds for emails")
    args = parser.parse_args()
    if not 0 < args.minutes <= 30:
        sys.exit("--minutes must be in (0, 30]")

    tmp = Path(tempfile.mkdtemp(prefix="lifeline-load-"))
    shared = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if shared:
        pg = SharedPostgres(os.environ["DATABASE_URL"])
    else:
        pg = PrivatePostgres(tmp)
        pg.init()
        pg.start()
    redis_server = PrivateRedis()
    redis_server.start()
    system = None
    try:
        pg.make_template(SETTINGS)
        system = Lifeline(pg, redis_server, tmp, settings_module=SETTINGS).start()
        time.sleep(3)  # workers and beat connected
        print(f"{args.donors} donors for {args.minutes:g} min against {system.url} …",
              flush=True)
        started = time.monotonic()
        with Donors(system, count=args.donors) as donors:
            time.sleep(args.minutes * 60)
        gave_for = time.monotonic() - started
        report(system, donors, args, gave_for, shared)
    finally:
        if system is not None:
            system.stop()
        redis_server.stop()
        pg.stop("fast")


def report(system, donors, args, gave_for, shared) -> None:
    drain_started = time.monotonic()
    receipts_due = lambda: system.sql("SELECT count(*) FROM donations_receipt")[0][0]  # noqa: E731
    while (len(system.inbox.messages) < receipts_due()
           and time.monotonic() - drain_started < args.drain):
        time.sleep(0.5)
    drained_in = time.monotonic() - drain_started
    time.sleep(3)  # a late duplicate would show here

    charged = system.standin.succeeded_payment_intents()
    created = system.sql("SELECT count(*) FROM donations_donation")[0][0]
    succeeded = system.sql(
        "SELECT count(*) FROM donations_donation WHERE status = 'succeeded'")[0][0]
    sequences = [s for (s,) in system.sql(
        "SELECT sequence FROM donations_receipt ORDER BY year, sequence")]
    numbers = [n for (n,) in system.sql("SELECT number FROM donations_receipt")]
    subjects = [m["Subject"] for m in system.inbox.messages]
    emailed = {n: sum(n in s for s in subjects) for n in numbers}
    errors = {f"{step} {code}": n for (step, code), n in donors.statuses.items()
              if code not in (200, 201)}
    lat = sorted(donors.latencies)
    rows = [
        ("gifts created (donations rows)", created),
        ("gifts the donors saw succeed", donors.succeeded()),
        ("PaymentIntents succeeded at the stand-in", sum(charged.values())),
        ("donations succeeded here", succeeded),
        ("receipts", len(numbers)),
        ("receipt emails received", len(subjects)),
        ("donations charged twice", sum(1 for n in charged.values() if n > 1)),
        ("receipts emailed twice / not emailed",
         f"{sum(1 for c in emailed.values() if c > 1)} / "
         f"{sum(1 for c in emailed.values() if c == 0)}"),
        ("gaps in receipt numbers", len(set(range(1, len(sequences) + 1)) - set(sequences))),
        ("non-2xx answers to donors", errors or 0),
        ("throughput, paid gifts/s", f"{donors.succeeded() / gave_for:.1f}"),
        ("create+pay p50 / p99 ms",
         f"{percentile(lat, 50) * 1000:.0f} / {percentile(lat, 99) * 1000:.0f}"),
        ("emails drained after donors stopped, s", f"{drained_in:.1f}"),
    ]
    print(f"\n{args.donors} donors, {gave_for:.0f} s, PostgreSQL "
          f"{'(DATABASE_URL server)' if shared else '(private cluster)'}, own Redis, "
          f"{os.cpu_count()} cores\n\n| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    agree = (donors.succeeded() == sum(charged.values()) == succeeded == len(numbers)
             == len(subjects) and all(c == 1 for c in emailed.values()))
    print(f"\ncounts agree: {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    main()
