"""Where a request waits before its view starts under gunicorn's ASGI worker, and whether a
per-process bound on concurrent requests helps (docs/request-deadlines.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/request_waits.py

One ASGI worker serves the appeal API read (a database query). Clients open a new connection
per request and stamp X-Request-Start as they connect; the server (this module's `application`
wrapping config.asgi's) answers, per request, how long it waited for each step:
  accept+loop  client's connect -> the ASGI app is called (kernel backlog, event loop)
  thread       the app is called -> Django's first code in the request's own thread
  db_connect   opening the database connection (CONN_MAX_AGE 0 under ASGI: every request)
`--bound N` puts an asyncio.Semaphore(N) in front of Django (waiting in the event loop; the
product's own bound, REQUEST_CONCURRENCY_PER_PROCESS, is turned off so each row measures one).
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

if __name__ != "__main__":  # the app gunicorn loads
    from django.core.signals import request_started
    from django.db.backends.base.base import BaseDatabaseWrapper

    from config.asgi import application as site

    _local = threading.local()
    _connect = BaseDatabaseWrapper.connect

    def _timed_connect(self):
        began = time.time()
        _connect(self)
        waits = getattr(_local, "waits", None)
        if waits is not None:
            waits["db_connect"] = waits.get("db_connect", 0) + time.time() - began

    BaseDatabaseWrapper.connect = _timed_connect

    def _started(sender, scope=None, **kwargs):  # a sync receiver: runs in the request's thread
        if scope is not None and "waits" in scope:
            scope["waits"]["thread"] = time.time() - scope["waits"]["_entry"]
            _local.waits = scope["waits"]

    request_started.connect(_started, weak=False)
    _bound = int(os.environ.get("WAITS_BOUND", "0"))
    _slots = asyncio.Semaphore(_bound) if _bound else None

    async def application(scope, receive, send):
        if scope["type"] != "http":
            return await site(scope, receive, send)
        entry = time.time()
        sent = dict(scope["headers"]).get(b"x-request-start", b"t=0")[2:]
        waits = {"_entry": entry, "accept": entry - float(sent)}
        scope = dict(scope, waits=waits)

        async def timed_send(message):
            if message["type"] == "http.response.start":
                shown = ";".join(f"{k}={v:.4f}" for k, v in waits.items() if k[0] != "_")
                message = dict(message, headers=[*message["headers"],
                                                  (b"x-waits", shown.encode())])
            await send(message)

        if _slots is None:
            return await site(scope, receive, timed_send)
        async with _slots:
            waits["slot"] = time.time() - entry
            waits["_entry"] = time.time()
            return await site(scope, receive, timed_send)


def run(url: str, clients: int, seconds: float) -> dict:
    import requests

    stop = time.monotonic() + seconds
    rows, errors = [], 0

    def client():
        nonlocal errors
        while time.monotonic() < stop:
            began = time.time()
            try:
                r = requests.get(url + "/api/v1/appeals/emergency-appeal/", timeout=60,
                                 headers={"X-Request-Start": f"t={began:.4f}",
                                          "Connection": "close"})
            except requests.RequestException:
                errors += 1
                continue
            if r.status_code != 200:
                errors += 1
                continue
            waits = dict(kv.split("=") for kv in r.headers["X-Waits"].split(";"))
            rows.append({"total": time.time() - began, **{k: float(v) for k, v in waits.items()}})

    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    out = {"requests": len(rows), "errors": errors}
    for key in ("total", "accept", "slot", "thread", "db_connect"):
        values = sorted(r.get(key, 0.0) for r in rows)
        if values:
            out[key] = (statistics.median(values), values[int(len(values) * 0.99) - 1])
    return out


def main():
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench.serve import ROOT, database, free_port, standin

    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--bound", type=int, nargs="+", default=[0, 8])
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    with standin(), database() as db_url:
        for bound in args.bound:
            port = free_port()
            env = dict(os.environ, DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="bench.settings",
                       WAITS_BOUND=str(bound), REQUEST_CONCURRENCY_PER_PROCESS="0")
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "bench.request_waits:application",
                 "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                 "--backlog", "2048", "--log-level", "warning"], cwd=ROOT, env=env)
            url = f"http://127.0.0.1:{port}"
            try:
                from tests.conftest import wait_for
                wait_for(url + "/healthz", timeout=60)
                for clients in args.clients:
                    result = run(url, clients, args.seconds)
                    shown = " ".join(f"{k}={v[0]*1000:.1f}/{v[1]*1000:.1f}ms"
                                     if isinstance(v, tuple) else f"{k}={v}"
                                     for k, v in result.items())
                    print(f"bound={bound or '-'} clients={clients}: {shown}", flush=True)
            finally:
                proc.terminate()
                proc.wait(timeout=15)


if __name__ == "__main__":
    main()
