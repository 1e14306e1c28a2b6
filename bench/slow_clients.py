"""Slow clients against the web server exactly as `make run` starts it.

    .venv/bin/python bench/slow_clients.py [--procfile Procfile.standin] [--clients 12]

Starts the `web:` line of the Procfile (through the shell, as honcho does) on a free port,
opens CLIENTS connections that each send a POST's headers and then trickle its body one byte
a second, and, while they are all still trickling, times GET /healthz (at most --patience
seconds). Then the trickling stops and the server is stopped. No database or Stripe needed:
/healthz touches neither.
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402


def web_command(procfile: str) -> str:
    for line in (ROOT / procfile).read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"{procfile} has no web: line")


def start_web(procfile: str, port: int, env: dict | None = None) -> subprocess.Popen:
    command = web_command(procfile)
    return subprocess.Popen(
        ["bash", "-c", f"exec {command}"], cwd=ROOT,
        env={**os.environ, **(env or {}), "PORT_WEB": str(port), "PORT_APP": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def up(url: str) -> None:
    """Until /healthz answers (the workers may take a while to boot on a busy machine)."""
    for _ in range(300):
        with contextlib.suppress(requests.RequestException):
            requests.get(url + "/healthz", timeout=5)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} never came up")


class Trickle:
    """CLIENTS sockets sending a POST body one byte a second until stopped."""

    def __init__(self, port: int, clients: int, path: str, body_size: int = 10_000):
        self.port, self.clients, self.path, self.body_size = port, clients, path, body_size
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        for _ in range(self.clients):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(
                b"POST " + self.path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {self.body_size}\r\n\r\n".encode()
            )
            self.sockets.append(s)
        self.thread.start()
        time.sleep(1.5)  # every connection has been taken by the server
        return self

    def _run(self):
        while not self.stop.wait(1.0):
            for s in self.sockets:
                try:
                    s.sendall(b" ")
                except OSError:
                    pass

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for s in self.sockets:
            s.close()


def measure(procfile: str, clients: int, patience: float, path: str) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    web = start_web(procfile, port)
    try:
        up(url)
        start = time.perf_counter()
        requests.get(url + "/healthz", timeout=patience).raise_for_status()
        idle = time.perf_counter() - start
        with Trickle(port, clients, path):
            start = time.perf_counter()
            try:
                status = requests.get(url + "/healthz", timeout=patience).status_code
            except requests.Timeout:
                status = f"no answer within {patience:.0f} s"
            loaded = time.perf_counter() - start
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    return {"command": re.sub(r"\s+", " ", web_command(procfile)), "clients": clients, "path": path,
            "idle_ms": round(idle * 1000, 1), "status": status,
            "with_slow_clients_ms": round(loaded * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--procfile", default="Procfile.standin")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--patience", type=float, default=30.0)
    parser.add_argument("--path", default="/api/v1/donations/", help="where the bodies go")
    args = parser.parse_args()
    result = measure(args.procfile, args.clients, args.patience, args.path)
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
