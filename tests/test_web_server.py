"""The web server as `make run` starts it (the Procfiles' `web:` line, run through the shell
as honcho runs it): slow clients do not hold it, and it leaves no control socket behind in
the home folder for another server on the machine to fight over."""

import os
import signal

import pytest
import requests

from bench.slow_clients import Trickle, start_web, up
from tests.conftest import free_port

PROCFILES = ["Procfile.standin", "Procfile", "Procfile.scale", "Procfile.scale.standin"]


@pytest.fixture
def web(tmp_path):
    """Procfile.standin's web server on a free port, with a home folder of its own."""
    port = free_port()
    proc = start_web("Procfile.standin", port, env={"HOME": str(tmp_path)})
    try:
        up(f"http://127.0.0.1:{port}")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_twelve_clients_trickling_bodies_do_not_hold_healthz(web):
    with Trickle(web, clients=12, path="/api/v1/donations/") as trickle:
        answer = requests.get(f"http://127.0.0.1:{web}/healthz", timeout=60)
        assert answer.status_code == 200
        # …while every slow client is still sending: none has had an answer.
        for s in trickle.sockets:
            s.setblocking(False)
            with pytest.raises(BlockingIOError):
                s.recv(1)


def test_web_server_makes_no_control_socket_in_the_home_folder(web, tmp_path):
    assert not (tmp_path / ".gunicorn").exists() or not list((tmp_path / ".gunicorn").iterdir())


@pytest.mark.parametrize("procfile", PROCFILES)
def test_every_procfile_serves_through_the_shared_gunicorn_settings(procfile):
    from bench.slow_clients import web_command

    assert "-c config/gunicorn.py" in web_command(procfile)
