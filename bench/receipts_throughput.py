"""Receipts issued per second, end to end: donation confirmed -> receipt email received.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/14 \
    .venv/bin/python bench/receipts_throughput.py [--donations 200] [--workers 1 2]

Everything is real and on loopback: a throw-away test database, the Stripe stand-in, an
aiosmtpd SMTP server in this process, and 1 or 2 `celery worker` processes (concurrency 1
each). Untimed: N donations are created through the service layer and paid at the stand-in.
Timed: from the moment we start confirming them (donation_sync, as the thanks page or
reconcile does: it marks them succeeded, issues receipts, queues emails) until the SMTP
server has accepted all N receipt emails.
"""

import argparse
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_BROKER_DIR"] = str(ROOT / "var" / "bench-broker")

from tests.conftest import Inbox, free_port, wait_for  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--donations", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    inbox = Inbox()
    inbox.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    port = free_port()
    standin = subprocess.Popen([sys.executable, str(ROOT / "scripts/stripe_standin.py"),
                                "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    os.environ["STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"
    wait_for(os.environ["STRIPE_API_BASE"] + "/js.stripe.com/v3/")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from config.celery_app import app

    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    db = connection.settings_dict
    db_url = (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{test_name}"
              if connection.vendor == "postgresql" else f"sqlite:///{test_name}")
    call_command("seed_demo", verbosity=0)
    results = []
    try:
        for n_workers in args.workers:
            results.append(run(args.donations, n_workers, inbox, db_url, app))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        standin.terminate()
        inbox.stop()
    print(f"\nmachine: {os.cpu_count()} cores; db: {connection.vendor}; "
          f"broker: {app.conf.broker_url.split(':')[0]}")
    for n_workers, n, seconds in results:
        print(f"{n_workers} worker process(es): {n} receipts in {seconds:.2f} s = "
              f"{n / seconds:.1f} receipts/s")


def run(n, n_workers, inbox, db_url, app):
    import stripe
    from django.conf import settings
    from django.db import connection

    from appeals.models import Appeal
    from donations.services import create, stripe_events
    from donations.models import DonationEvent

    app.control.purge()
    inbox.messages.clear()
    env = dict(os.environ, DATABASE_URL=db_url)
    workers = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING",
         "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"bench{i}-{os.getpid()}@%h"], cwd=ROOT, env=env) for i in range(n_workers)]
    time.sleep(4)  # let the workers connect
    appeal = Appeal.objects.get(slug="emergency-appeal")
    client = stripe.StripeClient("sk_test_bench", base_addresses={"api": settings.STRIPE_API_BASE})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    ids = []
    for i in range(n):
        donation, pi = create.donation_create(
            appeal=appeal, designation=None, gift_amount=1000 + i, currency="GBP",
            cover_fees=False, email=f"bench{i}@example.com", first_name="Bench",
            last_name=str(i), anonymous=False, gift_aid=False, address_line1="", postcode="",
            attribution={}, charity_name="Bench")
        client.v1.payment_intents.update(pi.id, params={"payment_method": pm.id})
        client.v1.payment_intents.confirm(pi.id)
        ids.append(donation.pk)
    connection.close()

    start = time.perf_counter()
    chunks = [ids[i::4] for i in range(4)]

    def confirm(chunk):
        for pk in chunk:
            stripe_events.donation_sync(donation_id=pk, source=DonationEvent.Source.RECONCILE)
        connection.close()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inbox.wait_for(n, timeout=600)
    elapsed = time.perf_counter() - start
    got = len(inbox.messages)
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(timeout=30)
    assert got == n, f"{got} emails for {n} receipts"
    return n_workers, n, elapsed


if __name__ == "__main__":
    main()
