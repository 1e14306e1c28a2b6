"""The front-page spike: N donors giving at once for S seconds while 10 readers load the
appeal page, with Stripe answering D ms late; per step latencies, the page's p99 against its
idle p99, Stripe calls per gift, errors, and every gift receipted exactly once.

    .venv/bin/python bench/spike.py --donors 200 --latency-ms 300 --layout run
    .venv/bin/python bench/spike.py --donors 200 --latency-ms 300 --layout scale

Each donor, over and over until the S seconds are up: GET the appeal page (as a reader from
an article), POST /api/v1/donations/, the card into a ConfirmationToken at the stand-in (what
Stripe.js does in the browser), POST …/pay/ with it, then the thanks page and the gift's
status every second until its receipt number shows. Stripe latency is the stand-in's
`--latency-ms` (every API request, the browser's and our server's). The readers: a separate
process, 10 connections, each loading the page every 200 ms: first for --idle seconds alone
(the idle p99), then through the spike. Every page load (donors' and readers') is followed,
untimed, by the view beacon the page's script sends.

Layouts (processes on a private PostgreSQL cluster and redis-server, tests/faults/conftest.py):
- `run`: what `make run` starts: 2 gunicorn ASGI processes, Celery workers and beat.
- `scale`: what `make run-scale` starts: nginx in front (config/nginx, the appeal page from
  its cache), 4 gunicorn ASGI processes behind it, workers and beat.
Stripe calls are counted by the stand-in (GET /_config/calls, secret-key requests only).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPEAL = "emergency-appeal"
SETTINGS = "bench.settings"  # production-like: DEBUG off, hashed static files


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def beacon(session, page_url: str) -> None:
    """What the page's script sends after each view (static/js/attribution.js): not timed,
    but a load on the web processes in both layouts."""
    import requests

    base = page_url.split("/appeals/")[0]
    try:
        session.post(base + "/api/v1/views/", timeout=60, json={
            "appeal": APPEAL, "kind": "page", "utm_source": "paper", "ref": "story"})
    except requests.RequestException:
        pass


# --- the readers: a process of their own -----------------------------------------------


def readers(url: str, seconds: float, out: Path, connections: int = 10,
            every: float = 0.2) -> None:
    """`connections` keep-alive readers, one page each per `every` s; (start, seconds, status)
    of each load written to `out` as JSON."""
    import requests

    seen, lock = [], threading.Lock()
    stop_at = time.time() + seconds

    def reader(i: int) -> None:
        session = requests.Session()
        time.sleep(every * i / connections)  # spread out
        while time.time() < stop_at:
            started = time.time()
            t0 = time.perf_counter()
            cache = ""
            try:
                answer = session.get(url, timeout=60)
                status, cache = answer.status_code, answer.headers.get("X-Cache-Status", "")
            except requests.RequestException as exc:
                status = exc.__class__.__name__
            took = time.perf_counter() - t0
            with lock:
                seen.append((started, took, status, cache))
            beacon(session, url)
            time.sleep(max(0.0, every - (time.time() - started)))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.write_text(json.dumps(seen))


# --- the donors -------------------------------------------------------------------------


class Donors:
    def __init__(self, base: str, standin: str, count: int):
        self.base, self.standin, self.count = base, standin, count
        self.steps = defaultdict(list)  # step -> seconds
        self.statuses = Counter()  # (step, status)
        self.paid = []
        self.receipted = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._donor, args=(i,), daemon=True)
                        for i in range(count)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=180)

    def _timed(self, step, send):
        import requests

        t0 = time.perf_counter()
        try:
            answer = send()
        except requests.RequestException as exc:
            with self.lock:
                self.statuses[(step, exc.__class__.__name__)] += 1
            return None
        with self.lock:
            self.steps[step].append(time.perf_counter() - t0)
            self.statuses[(step, answer.status_code)] += 1
        return answer

    def _donor(self, i: int) -> None:
        import requests

        from tests.faults.conftest import card_token

        session = requests.Session()
        n = 0
        while not self.stopping.is_set():
            n += 1
            started = time.perf_counter()
            page = self._timed("page", lambda: session.get(
                f"{self.base}/appeals/{APPEAL}/?utm_source=bench&ref=spike", timeout=60))
            if page is None or page.status_code != 200:
                continue
            beacon(session, page.url)
            created = self._timed("create", lambda: session.post(
                self.base + "/api/v1/donations/", timeout=60,
                headers={"Idempotency-Key": f"spike-{i}-{n}-{uuid.uuid4().hex[:8]}"},
                json={"appeal": APPEAL, "amount": f"{10 + i % 50}.00", "currency": "GBP",
                      "email": f"donor{i}.{n}@example.com", "first_name": "Ada",
                      "last_name": f"Donor{i}", "utm_source": "bench", "ref": "spike"}))
            if created is None or created.status_code != 201:
                continue
            gift = created.json()
            token = self._timed("card", lambda: card_token(
                session, self.standin, gift["publishable_key"], timeout=60))
            if token is None or token.status_code != 200:
                continue
            paid = self._timed("pay", lambda: session.post(
                f"{self.base}/api/v1/donations/{gift['id']}/pay/", timeout=60,
                json={"confirmation_token": token.json()["id"]}))
            if paid is None or paid.status_code != 200 or paid.json()["status"] != "succeeded":
                continue
            paid_at = time.perf_counter()
            with self.lock:
                self.paid.append(gift["id"])
                self.steps["gift (page to paid)"].append(paid_at - started)
            thanks_url = paid.json()["thanks_url"]
            self._timed("thanks", lambda: session.get(self.base + thanks_url, timeout=60))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status = self._timed("status", lambda: session.get(
                    f"{self.base}/api/v1/donations/{gift['id']}/", timeout=60))
                if status is not None and status.status_code == 200 and \
                        status.json().get("receipt_number"):
                    with self.lock:
                        self.receipted += 1
                        self.steps["paid to receipt shown"].append(time.perf_counter() - paid_at)
                    break
                time.sleep(1.0)


def pin(pg, system, redis_server, front) -> None:
    """Every process of the system but nginx on CPU 0, nginx on CPU 1 (the readers too, once
    started): the cache on a core of its own, as on a machine of its own."""
    groups = {p.pid for p in [system.web, system.beat, system.standin.proc, redis_server.proc,
                              *(w.proc for w in system.workers)]}
    postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    table = subprocess.run(["ps", "-eo", "pid=,pgid=,ppid="], capture_output=True,
                           text=True).stdout.split("\n")
    for line in table:
        if not line.strip():
            continue
        pid, pgid, ppid = map(int, line.split())
        try:
            if pgid == front.proc.pid:
                os.sched_setaffinity(pid, {1})
            elif pgid in groups or pid == postmaster or ppid == postmaster:
                os.sched_setaffinity(pid, {0})
        except ProcessLookupError:
            pass
    os.sched_setaffinity(0, {0})  # the donors' client and the SMTP inbox


def warm_up(app: str, base: str) -> None:
    """Every web process past its first render (imports, templates, the page's cache): the
    idle figures are the page's steady state, not a cold start."""
    import requests

    with requests.Session() as session:
        for _ in range(50):
            for url in {app, base}:
                session.get(f"{url}/appeals/{APPEAL}/", timeout=60)
                session.get(f"{url}/api/v1/appeals/{APPEAL}/", timeout=60)


# --- the system --------------------------------------------------------------------------


class Front:
    """nginx in front of the web processes, with the configuration `make run-scale` renders
    (scripts/nginx_conf.py, config/nginx)."""

    def __init__(self, upstream_port: int, tmp: Path, workers: int = 0):
        sys.path.insert(0, str(ROOT / "scripts"))
        import nginx_conf

        from tests.conftest import free_port

        self.port = free_port()
        conf = nginx_conf.render(tmp / "nginx", port_web=self.port, port_app=upstream_port)
        if workers:
            conf.write_text(conf.read_text().replace("worker_processes 1;",
                                                     f"worker_processes {workers};"))
        self.proc = subprocess.Popen(nginx_conf.command(conf), stdout=subprocess.DEVNULL,
                                     stderr=open(tmp / "nginx.log", "ab"),
                                     start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        import requests

        for _ in range(100):
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start: " + (tmp / "nginx.log").read_text())

    def stop(self):
        from tests.faults.conftest import _stop

        _stop(self.proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--idle", type=float, default=15)
    parser.add_argument("--layout", choices=("run", "scale"), default="run")
    parser.add_argument("--readers", nargs=2, metavar=("URL", "SECONDS"))
    parser.add_argument("--readers-out")
    parser.add_argument(
        "--python-nice", type=int, default=0,
        help="run Lifeline's Python processes (web, workers, beat) at this niceness, so the "
             "cache in front and the readers (other machines, in life) come first on the CPU")
    parser.add_argument("--nginx-workers", type=int, default=0,
                        help="nginx worker processes instead of the configuration's 1")
    parser.add_argument("--all-nice", type=int, default=0,
                        help="--python-nice for the stand-in, Redis and PostgreSQL too")
    parser.add_argument("--isolate", action="store_true",
                        help="scale layout: nginx and the readers on CPU 1 alone, everything "
                             "else (Python, PostgreSQL, Redis, the stand-in, the donors) on CPU 0")
    parser.add_argument("--json", help="append the figures as one JSON line to this file")
    parser.add_argument("--table", help="print the runs of this JSON-lines file as a table")
    args = parser.parse_args()
    if args.table:
        table(Path(args.table))
        return
    if args.readers:
        readers(args.readers[0], float(args.readers[1]), Path(args.readers_out))
        return

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    from tests.faults.conftest import Lifeline, PrivatePostgres, PrivateRedis

    # Production-like settings serve hashed static files from collectstatic's manifest, as
    # `make run` builds it first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env=dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS))
    tmp = Path(tempfile.mkdtemp(prefix="lifeline-spike-"))
    pg = PrivatePostgres(tmp)
    pg.init()
    pg.start()
    redis_server = PrivateRedis()
    redis_server.start()
    system = front = None
    try:
        pg.make_template("bench.settings")
        scale = args.layout == "scale"
        system = Lifeline(pg, redis_server, tmp, settings_module="bench.settings",
                          web_processes=4 if scale else 2, stripe_latency_ms=args.latency_ms,
                          # behind nginx, the client's address is the hop it appends
                          extra_env={"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"}
                          if scale else None)
        system.start()
        if args.python_nice:
            for proc in [system.web, system.beat, *(w.proc for w in system.workers)]:
                os.setpriority(os.PRIO_PGRP, proc.pid, args.python_nice)
        if args.all_nice:  # and the stand-in, Redis and PostgreSQL: only nginx and the readers
            for proc in [system.standin.proc, redis_server.proc]:
                os.setpriority(os.PRIO_PGRP, proc.pid, args.all_nice)
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
            children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True,
                                      text=True).stdout.split()
            for pid in [postmaster, *map(int, children)]:
                os.setpriority(os.PRIO_PROCESS, pid, args.all_nice)
        base = system.url
        if scale:
            front = Front(system.web_port, tmp, workers=args.nginx_workers)
            base = front.url
        time.sleep(3)  # workers and beat connected
        if args.isolate:
            pin(pg, system, redis_server, front)
        warm_up(system.url, base)
        page_url = f"{base}/appeals/{APPEAL}/?utm_source=paper&ref=story"
        readers_out = tmp / "readers.json"
        reader_proc = subprocess.Popen(
            [sys.executable, __file__, "--readers", page_url,
             str(args.idle + args.seconds + 2), "--readers-out", str(readers_out)], cwd=ROOT)
        if args.python_nice:  # the donors' client is Python on this machine too
            os.nice(args.python_nice)
        time.sleep(args.idle)
        calls_before = system.standin.calls()
        spike_from = time.time()
        if args.isolate:
            os.sched_setaffinity(reader_proc.pid, {1})
        donors = Donors(base, system.standin.url, args.donors)
        donors.start()
        time.sleep(args.seconds)
        spike_to = time.time()
        donors.stopping.set()
        reader_proc.wait(timeout=120)
        donors.stop()
        report(args, system, donors, json.loads(readers_out.read_text()), spike_from,
               spike_to, calls_before)
    finally:
        if front is not None:
            front.stop()
        if system is not None:
            system.stop()
        redis_server.stop()
        pg.stop("fast")


def report(args, system, donors, reads, spike_from, spike_to, calls_before) -> None:
    # Every receipt emailed (at most two minutes), then one more look for late duplicates.
    deadline = time.monotonic() + 120
    receipts = lambda: system.sql("SELECT count(*) FROM donations_receipt")[0][0]  # noqa: E731
    while len(system.inbox.messages) < receipts() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    calls_after = system.standin.calls()  # before the bench's own reads below
    charged = system.standin.succeeded_payment_intents()
    calls = {k: calls_after.get(k, 0) - calls_before.get(k, 0) for k in calls_after}
    calls = {k: v for k, v in calls.items() if v}
    succeeded = system.sql(
        "SELECT count(*) FROM donations_donation WHERE status = 'succeeded'")[0][0]
    numbers = [n for (n,) in system.sql("SELECT number FROM donations_receipt")]
    subjects = [m["Subject"] for m in system.inbox.messages]
    emailed = Counter(n for n in numbers for s in subjects if n in s)
    once = (len(numbers) == succeeded == sum(charged.values()) and
            all(emailed[n] == 1 for n in numbers) and all(v == 1 for v in charged.values()))
    errors = {f"{step} {code}": n for (step, code), n in donors.statuses.items()
              if code not in (200, 201)}
    idle = [t for (at, t, s, _) in reads if at < spike_from and s == 200]
    spike = [t for (at, t, s, _) in reads if spike_from <= at < spike_to and s == 200]
    page_errors = sum(1 for (_, _, s, _) in reads if s != 200)
    slow = Counter(c or "-" for (at, t, s, c) in reads if spike_from <= at < spike_to
                   and t > 3 * percentile(idle, 99))
    window = spike_to - spike_from
    ms = lambda seconds: round(seconds * 1000)  # noqa: E731
    figures = {
        "date": time.strftime("%Y-%m-%d"), "layout": args.layout, "donors": args.donors,
        "python_nice": args.python_nice, "all_nice": args.all_nice,
        "nginx_workers": args.nginx_workers, "isolated": args.isolate,
        "latency_ms": args.latency_ms, "seconds": round(window),
        "gifts": len(donors.paid), "gifts_per_s": round(len(donors.paid) / window, 2),
        "steps_p50_p99_ms": {step: [ms(percentile(v, 50)), ms(percentile(v, 99))]
                             for step, v in donors.steps.items()},
        "page_idle_p99_ms": round(percentile(idle, 99) * 1000, 1),
        "page_spike_p50_ms": round(percentile(spike, 50) * 1000, 1),
        "page_spike_p99_ms": round(percentile(spike, 99) * 1000, 1),
        "page_loads": [len(idle), len(spike)], "page_errors": page_errors,
        "page_slow_by_cache_status": dict(slow),
        "stripe_calls": calls,
        "stripe_calls_per_gift": round(sum(calls.values()) / max(1, sum(charged.values())), 2),
        "errors": errors, "charged": sum(charged.values()), "succeeded": succeeded,
        "receipts": len(numbers), "emails": len(subjects), "receipted_once": once,
        "receipt_shown": donors.receipted,
    }
    figures["page_p99_vs_idle"] = round(
        figures["page_spike_p99_ms"] / max(figures["page_idle_p99_ms"], 0.001), 1)
    print(json.dumps(figures, indent=1))
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(figures) + "\n")


def table(path: Path) -> None:
    """docs/BENCHMARKS.md's table: one row per run."""
    print("| layout | Stripe +ms | donors | gifts/s | create p50/p99 | pay p50/p99 | "
          "page to paid p50/p99 | paid to receipt p50/p99 | appeal page p50/p99 (idle p99) "
          "| p99 / idle | Stripe calls per gift | errors | receipted once |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for line in path.read_text().splitlines():
        r = json.loads(line)
        steps = r["steps_p50_p99_ms"]
        cell = lambda step: "/".join(f"{v:,}" for v in steps.get(step, [0, 0]))  # noqa
        errors = sum(r["errors"].values()) + r["page_errors"]
        layout = r["layout"] + (f", Python nice {r['python_nice']}" if r.get("python_nice")
                                else "") + (f", all but nginx nice {r['all_nice']}"
                                            if r.get("all_nice") else "") + (
            ", nginx and readers on a core of their own" if r.get("isolated") else "")
        print(f"| {layout} | {r['latency_ms']} | {r['donors']} | {r['gifts_per_s']} | "
              f"{cell('create')} ms | {cell('pay')} ms | {cell('gift (page to paid)')} ms | "
              f"{cell('paid to receipt shown')} ms | {r['page_spike_p50_ms']} / "
              f"{r['page_spike_p99_ms']} ms ({r['page_idle_p99_ms']} ms) | "
              f"{r['page_p99_vs_idle']}× | {r['stripe_calls_per_gift']} | "
              f"{errors or 0}{' ' + str(r['errors']) if r['errors'] else ''} | "
              f"{'yes' if r['receipted_once'] else 'NO'} |")


if __name__ == "__main__":
    main()
