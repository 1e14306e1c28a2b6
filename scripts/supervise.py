"""Run honcho for `make run`, and stop everything when make is interrupted.

    python scripts/supervise.py SENTINEL PROCFILE

Ctrl-C in a terminal reaches every process in the foreground group, and honcho stops its
children. But a SIGINT sent to `make` alone (kill -INT <make's pid>) is not passed on: GNU
make waits for its running recipe, after deleting that recipe's target file if the recipe
wrote it. SENTINEL is that target: we write it, and when make deletes it we stop honcho. A
SIGTERM to make is passed on to us by make, and we pass it on to honcho.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    sentinel, procfile = Path(sys.argv[1]), sys.argv[2]
    sentinel.parent.mkdir(parents=True, exist_ok=True)
    sentinel.write_text(f"{os.getpid()}\n")
    honcho = subprocess.Popen(
        [str(Path(sys.executable).with_name("honcho")), "start", "-f", procfile]
    )

    def forward(signum, _frame):
        if honcho.poll() is None:
            honcho.send_signal(signum)

    # A terminal's Ctrl-C reaches honcho directly (same process group): don't send it twice.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    stopping = False
    try:
        while honcho.poll() is None:
            if not stopping and not sentinel.exists():
                honcho.send_signal(signal.SIGINT)
                stopping = True
            time.sleep(0.2)
    finally:
        sentinel.unlink(missing_ok=True)
    return honcho.returncode


if __name__ == "__main__":
    sys.exit(main())
