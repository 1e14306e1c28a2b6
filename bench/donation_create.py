"""Donations created per second through our API (PaymentIntent at the stand-in included), as
a ratio to creating PaymentIntents at the stand-in directly, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    .venv/bin/python bench/donation_create.py [--requests 300] [--concurrency 8]

gunicorn (2 ASGI workers, as `make run`) on PostgreSQL; the stand-in emptied before each half (it slows
as objects pile up). Target: the API reaches at least 0.7 of the stand-in's rate.

Both halves are bound by CPU on this machine, so each also reports the CPU milliseconds per
request that every process used (this client, the stand-in, gunicorn, PostgreSQL's backends):
the ratio is then roughly the direct path's CPU per request over the API path's. A third
run, the "floor", serves a bench-only view that does nothing but make the PaymentIntent
through the app's Stripe client: no Django view that makes one can beat its ratio.
"""

import argparse
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import stripe

from serve import cpu_seconds, database, gunicorn, own_cpu_seconds, standin

# Every request comes from 127.0.0.1: lift the card-testing defence's per-client limit on
# new gifts for the bench (its cost, a cache counter per request, stays in the figure).
os.environ.setdefault("DEFENCE_CREATES_PER_CLIENT", "1000000/h")

BODY = {"appeal": "emergency-appeal", "amount": "25.00", "currency": "GBP",
        "email": "bench@example.org", "first_name": "Bench", "last_name": "Mark",
        "utm_source": "bench", "ref": "https://news.example/bench"}


# Command-line fragments of the processes whose CPU time is counted (PostgreSQL: every
# backend, so nothing else should use the server meanwhile).
PROCESSES = {"stand-in": "stripe_standin.py", "gunicorn": "gunicorn config.asgi",
             "PostgreSQL": "postgres:"}


def cpu_now() -> dict[str, float]:
    return {"client": own_cpu_seconds(), **{name: cpu_seconds(pattern)
                                            for name, pattern in PROCESSES.items()}}


def timed(n: int, concurrency: int, one) -> tuple[float, dict[str, float]]:
    """Requests per second, and CPU ms per request by process."""
    local = threading.local()

    def session():
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    cpu_before = cpu_now()
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda i: one(session(), i), range(n)))
    elapsed = time.perf_counter() - start
    cpu = {name: (spent - cpu_before[name]) * 1000 / n for name, spent in cpu_now().items()}
    return n / elapsed, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with standin() as stripe_url, database() as db_url, gunicorn(db_url) as url:
        client = stripe.StripeClient("sk_test_bench", base_addresses={"api": stripe_url})

        def direct(_session, i):
            client.v1.payment_intents.create(params={
                "amount": 2500, "currency": "gbp", "payment_method_types": ["card"],
                "metadata": {"donation_id": str(uuid.uuid4())},
            }, options={"idempotency_key": str(uuid.uuid4())})

        def api(session, i):
            answer = session.post(url + "/api/v1/donations/", json=BODY,
                                  headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30)
            assert answer.status_code == 201, answer.text

        def floor(session, i):
            answer = session.post(url + "/bench/payment-intent-only", json={}, timeout=30)
            assert answer.status_code == 201, answer.text

        results = {}
        for name, one in (("stand-in PaymentIntent create", direct),
                          ("POST /api/v1/donations/", api),
                          ("floor: a bench view that only makes the PaymentIntent", floor)):
            requests.delete(stripe_url + "/_config/data", timeout=10)
            one(requests.Session(), -1)  # warm
            results[name] = timed(args.requests, args.concurrency, one)
            print(f"{name}: {results[name][0]:.1f}/s", flush=True)
    (base, _), (ours, _), (bare, _) = results.values()
    columns = ["client", *PROCESSES]
    print("\n| path | per second | " + " | ".join(f"CPU ms/request: {c}" for c in columns)
          + " | CPU ms/request: all |")
    print("|---" * (len(columns) + 3) + "|")
    for name, (rate, cpu) in results.items():
        print(f"| {name} | {rate:.1f} | " + " | ".join(f"{cpu[c]:.2f}" for c in columns)
              + f" | {sum(cpu.values()):.2f} |")
    print(f"\nratio (API / stand-in direct): {ours / base:.2f}")
    print(f"floor's ratio (a view that only calls Stripe / stand-in direct): {bare / base:.2f}")


if __name__ == "__main__":
    main()
