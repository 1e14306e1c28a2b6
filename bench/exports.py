"""The finance exports at 10,000 and 100,000 receipts: time, rows per second, peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
      .venv/bin/python bench/exports.py --rows 10000 100000

For each size, a throwaway PostgreSQL database (`lifeline_bench_exports`, dropped at the end)
is filled with paid Gift Aid donations, receipts and declarations by bulk_create. Each export
is then fetched through the real view (Django's test client, as a Finance user) in a fresh
child process that reads the whole streamed body; the child reports the seconds and its own
peak RSS (ru_maxrss), so one export's memory does not hide another's.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")
BENCH_DB = "lifeline_bench_exports"
EXPORTS = {
    "receipts.csv": "/finance/exports/receipts.csv",
    "receipts.xlsx": "/finance/exports/receipts.xlsx",
    "gift-aid.csv": "/finance/exports/gift-aid.csv",
}


def db_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + name))


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def fill(rows: int) -> None:
    """Migrate the bench database and insert `rows` receipted Gift Aid donations."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.utils import timezone

    from appeals.models import Appeal
    from donations.models import Donation, GiftAidDeclaration, Receipt

    call_command("migrate", verbosity=0)
    User.objects.create_user("bench", password="x").groups.add(Group.objects.get(name="Finance"))
    appeal = Appeal.objects.create(slug="bench-appeal", title="Bench", summary="s", story="s",
                                   currency="GBP", goal_amount=10**9, status="live")
    now = timezone.now()
    batch = 5000
    for start in range(0, rows, batch):
        size = min(batch, rows - start)
        donations = Donation.objects.bulk_create(
            Donation(appeal=appeal, amount=2500 + i % 100, gift_amount=2500 + i % 100,
                     currency="GBP", fee=57, net=2443 + i % 100, email=f"donor{i}@example.com",
                     first_name="Ada", last_name=f"Lovelace-{i}", gift_aid=True,
                     address_line1=f"{i % 300 + 1} High Street", postcode="S19 2BD",
                     status="succeeded", stripe_payment_intent=f"pi_bench_{i}",
                     stripe_charge=f"ch_bench_{i}", utm_source="news", succeeded_at=now)
            for i in range(start, start + size)
        )
        Receipt.objects.bulk_create(
            Receipt(donation=d, year=now.year, sequence=start + k + 1,
                    number=f"LL-{now.year}-{start + k + 1:06d}", issued_at=now)
            for k, d in enumerate(donations)
        )
        GiftAidDeclaration.objects.bulk_create(
            GiftAidDeclaration(donation=d, wording_version="2025-01", wording="…",
                               declared_at=now, first_name=d.first_name,
                               last_name=d.last_name, address_line1=d.address_line1,
                               postcode=d.postcode)
            for d in donations
        )


def measure(kind: str) -> None:
    """Child process: fetch one export through the view and print its figures as JSON."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench"))
    started = time.perf_counter()
    response = client.get(EXPORTS[kind])
    assert response.status_code == 200, response.status_code
    size = 0
    lines = 0
    body = response.streaming_content if response.streaming else [response.content]
    for chunk in body:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "bytes": size, "peak_mib": peak_kib / 1024,
                      "csv_lines": lines}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench makes its own database).")
    env = dict(os.environ, DATABASE_URL=db_url(BENCH_DB))
    results = []
    for rows in args.rows:
        admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        admin_sql(f'CREATE DATABASE "{BENCH_DB}"')
        try:
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--child", "fill", "--rows", str(rows)],
                           env=dict(env, BENCH_FILL=str(rows)), check=True)
            print(f"{rows} receipts inserted in {time.perf_counter() - started:.1f}s",
                  file=sys.stderr)
            for kind in EXPORTS:
                out = subprocess.run([sys.executable, __file__, "--child", kind], env=env,
                                     check=True, stdout=subprocess.PIPE, text=True).stdout
                figures = json.loads(out.strip().splitlines()[-1])
                figures.update(rows=rows, export=kind, rows_per_s=rows / figures["seconds"])
                results.append(figures)
                print(f"| {rows} | {kind} | {figures['seconds']:.2f} | "
                      f"{figures['rows_per_s']:,.0f} | {figures['peak_mib']:.0f} | "
                      f"{figures['bytes'] / 2**20:.1f} |")
        finally:
            admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


if __name__ == "__main__":
    if "--child" in sys.argv and sys.argv[sys.argv.index("--child") + 1] == "fill":
        fill(int(os.environ["BENCH_FILL"]))
    else:
        main()
