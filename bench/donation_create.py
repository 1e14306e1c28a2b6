"""Donations created per second through our API (PaymentIntent at the stand-in included), as
a ratio to creating PaymentIntents at the stand-in directly, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    .venv/bin/python bench/donation_create.py [--requests 300] [--concurrency 8]

gunicorn (2 gthread workers × 4 threads, as `make run`) on PostgreSQL; the stand-in emptied before each half (it slows
as objects pile up). Target: the API reaches at least 0.7 of the stand-in's rate.
"""

import argparse
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import stripe

from serve import database, gunicorn, standin

# Every request comes from 127.0.0.1: lift the card-testing defence's per-client limit on
# new gifts for the bench (its cost, a cache counter per request, stays in the figure).
os.environ.setdefault("DEFENCE_CREATES_PER_CLIENT", "1000000/h")

BODY = {"appeal": "emergency-appeal", "amount": "25.00", "currency": "GBP",
        "email": "bench@example.org", "first_name": "Bench", "last_name": "Mark",
        "utm_source": "bench", "ref": "https://news.example/bench"}


def timed(n: int, concurrency: int, one) -> float:
    local = threading.local()

    def session():
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda i: one(session(), i), range(n)))
    return n / (time.perf_counter() - start)


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

        results = {}
        for name, one in (("stand-in PaymentIntent create", direct), ("POST /api/v1/donations/", api)):
            requests.delete(stripe_url + "/_config/data", timeout=10)
            one(requests.Session(), -1)  # warm
            results[name] = timed(args.requests, args.concurrency, one)
            print(f"{name}: {results[name]:.1f}/s", flush=True)
    base, ours = results.values()
    print("\n| path | per second |\n|---|---|")
    for name, rate in results.items():
        print(f"| {name} | {rate:.1f} |")
    print(f"\nratio (API / stand-in direct): {ours / base:.2f}")


if __name__ == "__main__":
    main()
