"""The velocity limits hold across web processes: `make run` serves with two gunicorn
processes, and a limit counted per process would let through twice as many."""

import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, free_port, stop_process, wait_for
from tests.helpers import create_donation, fire_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def second_web_process(process_env, tmp_path):
    """A gunicorn process on this test's database, beside the in-process live server, with
    no CACHE_URL (as `make run` by default)."""
    env = {key: value for key, value in process_env.items() if key != "CACHE_URL"}
    env["DEFENCE_CREATES_PER_CLIENT"] = "4/10m"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "web.log", "ab"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/healthz", timeout=60)
        yield url
    finally:
        stop_process(proc)


def test_two_web_processes_share_one_limit_on_new_gifts(demo, live_server, second_web_process,
                                                         settings):
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "creates_per_client": "4/10m"}
    codes = []
    for i in range(6):  # one client, alternating between the two processes
        base = live_server.url if i % 2 == 0 else second_web_process
        codes.append(create_donation(base, email=f"p{i}@example.com").status_code)
    assert codes == [201, 201, 201, 201, 429, 429]


def test_counts_made_at_once_are_all_kept(settings):
    """The database cache's increment locks its row: no count is lost to a race (the base
    DatabaseCache reads, then writes)."""
    from django.core.cache import caches

    counters = caches[settings.RATELIMIT_USE_CACHE]
    counters.add("race", 0, timeout=600)
    fire_at_once(*[lambda: counters.incr("race") for _ in range(12)])
    assert counters.get("race") == 12
