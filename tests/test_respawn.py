"""scripts/respawn.py: a worker that ends itself is started again; a stop signal stops it."""

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_command_that_dies_is_started_again_and_sigterm_stops_it_for_good(tmp_path):
    starts = tmp_path / "starts"
    dies = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(1)"
    wrapper = subprocess.Popen([sys.executable, str(ROOT / "scripts/respawn.py"), "--",
                                sys.executable, "-c", dies], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (starts.exists() and len(starts.read_text()) >= 2):
            assert time.monotonic() < deadline, "not started again"
            time.sleep(0.1)
    finally:
        wrapper.send_signal(signal.SIGTERM)
        wrapper.wait(timeout=30)
    assert b"starting it again" in wrapper.stderr.read()
    count = len(starts.read_text())
    time.sleep(1.5)  # stopped: no further start (the first restart delay is 1 s)
    assert len(starts.read_text()) == count


def test_sigterm_reaches_the_command_and_ends_the_wrapper(tmp_path):
    wrapper = subprocess.Popen([sys.executable, str(ROOT / "scripts/respawn.py"), "--",
                                sys.executable, "-c", "import time; time.sleep(60)"])
    time.sleep(0.5)
    wrapper.send_signal(signal.SIGTERM)
    assert wrapper.wait(timeout=30) != 0  # the child died of the signal; no restart
