"""Run a command and start it again whenever it dies on its own; stop it on SIGTERM/SIGINT.

    python scripts/respawn.py -- celery -A config worker …

A Celery worker ends itself on an "unrecoverable" broker error; kombu's Redis transport
raises one (AttributeError on the lost connection) when Redis restarts at the wrong moment
(tests/faults caught it). A worker must come back by itself, as systemd's Restart=always or
Kubernetes would bring it back, and a restarted worker's start-up sweep queues every unsent
receipt at once. honcho (`make run`) stops everything when one process ends, so the worker
lines of the Procfiles run under this. Restarts back off from 1 s to 30 s, resetting after a
minute of good running.
"""

import signal
import subprocess
import sys
import time

stopping = False
child: subprocess.Popen | None = None


def _stop(signum, frame):
    global stopping
    stopping = True
    if child is not None and child.poll() is None:
        child.send_signal(signum)


def main(argv: list[str]) -> int:
    global child
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    if not command:
        sys.exit("usage: respawn.py -- COMMAND [ARG…]")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    delay = 1.0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        if stopping:  # the signal came while it was starting
            child.terminate()
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started > 60:
            delay = 1.0
        print(f"respawn: {command[0]} exited with {code}; starting it again in {delay:.0f} s",
              file=sys.stderr, flush=True)
        time.sleep(delay)
        if stopping:
            return code
        delay = min(delay * 2, 30.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
