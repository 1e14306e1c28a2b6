"""Lifeline as it runs at scale, in subprocesses, on servers a test may break.

The machine's PostgreSQL and Redis are shared with other test sessions, so they are never
stopped here. Each test module gets its OWN PostgreSQL cluster (Debian's initdb/pg_ctl, a
temporary data directory, a free port) and its OWN redis-server; each test gets a fresh
database copied from a migrated template, an emptied Redis, its own Stripe stand-in, two
gunicorn web processes (ASGI, as `make run`), two `celery worker` processes, one `celery beat`, and an
SMTP server (aiosmtpd). The test process reads the books through plain SQL and the stand-in
through the Stripe SDK, as finance would. Every process started here is stopped here.
"""

import contextlib
import glob
import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, Inbox, Worker, free_port
from tests.helpers import eventually  # noqa: F401 - tests import it here

CARD_OK = "4242424242424242"
FAULTS_SETTINGS = "tests.faults.settings"
# Loopback load comes from one address: the card-testing defence's per-client limits
# (donations/services/defence.py) would refuse it, so the web processes get generous ones.
GENEROUS_LIMITS = {
    "DEFENCE_CREATES_PER_CLIENT": "100000/10m",
    "DEFENCE_SETUPS_PER_CLIENT": "100000/10m",
    "DEFENCE_DECLINES_PER_CLIENT": "100000/10m",
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: breaks real PostgreSQL, Redis, the stand-in or a worker under load"
    )


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def _stop(proc: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """SIGTERM to the process group, SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --- PostgreSQL and Redis of our own ------------------------------------------------------


class PrivatePostgres:
    """A throwaway PostgreSQL cluster. As root, it runs as the `postgres` user (initdb
    refuses root)."""

    def __init__(self, root: Path):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb (Debian's postgresql)")
        self.bin = Path(bins[-1]).parent
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")  # KeyError: no such user
            os.chown(root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _ctl(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data),
                               *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[-1]}: {done.stdout}{done.stderr}")

    def init(self) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
             "-A", "trust", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb: {done.stdout}{done.stderr}")

    def start(self) -> None:
        # fsync off: nothing here must survive the machine; a server restart loses nothing.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200 "
                   # a session whose client died is ended within a second, even mid-wait
                   "-c client_connection_check_interval=500")
        self._ctl("-l", str(self.root / "postgres.log"), "-w", "-t", "60", "-o", options,
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once (what clients see in a restart)."""
        self._ctl("-m", mode, "-w", "-t", "60", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    template = "lifeline_template"

    def make_template(self, settings_module: str) -> None:
        """A migrated database with the demo appeals, which each test's database copies."""
        self.execute(f"CREATE DATABASE {self.template}")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module,
                   DATABASE_URL=self.url(self.template), DATABASE_CONN_MAX_AGE="0")
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            subprocess.run([sys.executable, "manage.py", *command, "--verbosity", "0"],
                           cwd=ROOT, env=env, check=True, timeout=300,
                           stdout=subprocess.DEVNULL)

    def execute(self, sql: str, name: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str, name: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as conn:
            return conn.execute(sql).fetchall()


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        _wait_port(self.port)

    def stop(self) -> None:
        """Stopped with nothing saved: what was queued in it is gone, as after a crash."""
        _stop(self.proc)

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()


@pytest.fixture(scope="module")
def private_postgres():
    if shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("PostgreSQL cannot run privately: root, and no runuser to drop to postgres")
    root = Path(tempfile.mkdtemp(prefix="lifeline-pg-"))
    try:
        pg = PrivatePostgres(root)
        pg.init()
        pg.start()
    except (RuntimeError, KeyError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL cannot run privately here: {exc}")
    try:
        pg.make_template(FAULTS_SETTINGS)
        yield pg
    finally:
        with contextlib.suppress(RuntimeError):
            pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on PATH")
    r = PrivateRedis()
    r.start()
    yield r
    r.stop()


# --- the running system -------------------------------------------------------------------


class StandIn:
    """The Stripe stand-in in its own process, our webhook registered at every start.

    `durable`: its state is kept in a file and read back at a restart, as real Stripe
    keeps it (tests/faults/standin.py), and `hold()` makes it carry out PaymentIntent
    confirms and answer them only at `release()`. Otherwise it is scripts/stripe_standin.py,
    in memory."""

    def __init__(self, webhook_url: str, log: Path, durable: bool = False,
                 latency_ms: int = 0):
        self.port = free_port()
        self.latency_ms = latency_ms
        self.webhook_url = webhook_url
        self.log = log
        self.proc = None
        self.durable = durable
        self.state = log.with_name("standin-state.pickle")
        self.hold_file = log.with_name("standin-hold")

    def command(self) -> list[str]:
        if not self.durable:
            return [sys.executable, str(ROOT / "scripts" / "stripe_standin.py"), "--port",
                    str(self.port), "--webhook-url", self.webhook_url,
                    "--latency-ms", str(self.latency_ms)]
        return [sys.executable, str(ROOT / "tests" / "faults" / "standin.py"), "--port",
                str(self.port), "--webhook-url", self.webhook_url, "--state", str(self.state),
                "--hold-file", str(self.hold_file)]

    def hold(self) -> None:
        """From now on, confirms are carried out and not answered, and no event is sent."""
        self.hold_file.touch()

    def release(self) -> None:
        """The held confirms are answered now; their events are never sent."""
        self.hold_file.unlink(missing_ok=True)

    def held(self, what: str = "held") -> list[str]:
        """The PaymentIntents confirmed whose answer was held (`answered`: then sent)."""
        path = Path(f"{self.hold_file}.{what}")
        return path.read_text().split() if path.exists() else []

    def crash(self) -> None:
        """SIGKILL, then let it go again: what a crash and its supervisor do."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.hold_file.unlink(missing_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, new_port_if_taken: bool = False) -> None:
        """Start on self.port. The first start may move to another free port if that one
        was taken meanwhile (free_port() can only suggest); a restart keeps its port."""
        for _ in range(3):
            self.proc = subprocess.Popen(
                self.command(), cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"), start_new_session=True,
            )
            deadline = time.monotonic() + 30
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    requests.get(self.url + "/js.stripe.com/v3/", timeout=1)
                    return
                except requests.ConnectionError:
                    time.sleep(0.05)
            if self.proc.poll() is None or not new_port_if_taken:
                break
            self.port = free_port()  # it died at once: most likely the port was taken
        _stop(self.proc)
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"the stand-in did not start on {self.url}:\n{tail}")

    def stop(self) -> None:
        _stop(self.proc)

    def calls(self) -> dict[str, int]:
        """Our server's Stripe calls so far, per "METHOD /v1/path" (scripts/stripe_standin.py)."""
        return requests.get(self.url + "/_config/calls", timeout=10).json()

    def client(self):
        import stripe

        return stripe.StripeClient("sk_test_faults", base_addresses={"api": self.url})

    def succeeded_payment_intents(self) -> Counter:
        """Succeeded PaymentIntents per donation (from their metadata), all pages."""
        charged = Counter()
        params = {"limit": 100}
        while True:
            page = self.client().v1.payment_intents.list(params=params)
            for pi in page.data:
                if pi.status == "succeeded":
                    charged[pi.metadata["donation_id"]] += 1
            if not page.has_more or not page.data:
                return charged
            params = {"limit": 100, "starting_after": page.data[-1].id}


class Lifeline:
    """Web, workers, beat, stand-in and inbox on one fresh database and an empty Redis."""

    def __init__(self, pg: PrivatePostgres, redis_server: PrivateRedis, tmp: Path,
                 settings_module: str = FAULTS_SETTINGS, workers: int = 2,
                 durable_stripe: bool = False, web_processes: int = 2,
                 stripe_latency_ms: int = 0, extra_env: dict | None = None):
        self.pg, self.redis, self.tmp = pg, redis_server, tmp
        self.settings_module, self.n_workers = settings_module, workers
        self.db_name = f"t_{uuid.uuid4().hex[:12]}"
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.inbox = FaultyInbox()
        self.standin = StandIn(self.url + "/stripe/webhook/", tmp / "standin.log",
                               durable=durable_stripe, latency_ms=stripe_latency_ms)
        self.web_processes = web_processes
        self.extra_env = extra_env or {}
        self.web = self.beat = None
        self.workers: list[Worker] = []

    @property
    def env(self) -> dict:
        return dict(
            os.environ,
            DJANGO_SETTINGS_MODULE=self.settings_module,
            DATABASE_URL=self.pg.url(self.db_name),
            CELERY_BROKER_URL=self.redis.url(0),
            CACHE_URL=self.redis.url(1),
            EMAIL_URL=f"smtp://127.0.0.1:{self.inbox.port}",
            STRIPE_API_BASE=self.standin.url,
            **GENEROUS_LIMITS,
            **self.extra_env,
        )

    def start(self) -> "Lifeline":
        self.pg.execute(f"CREATE DATABASE {self.db_name} TEMPLATE {self.pg.template}")
        self.redis.flush()
        self.inbox.start()
        self.standin.start(new_port_if_taken=True)
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.asgi", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{self.web_port}", "--workers", str(self.web_processes),
             "--timeout", "120",
             "--graceful-timeout", "5", "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "web.log", "ab"), start_new_session=True,
        )
        for _ in range(self.n_workers):
            self.start_worker()
        self.beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING",
             "--schedule", str(self.tmp / "celerybeat-schedule")],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "beat.log", "ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:  # gunicorn's workers boot (and may be slow to answer at first)
            try:
                requests.get(self.url + "/healthz", timeout=5).raise_for_status()
                return self
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def start_worker(self) -> Worker:
        worker = Worker(self.env, concurrency=2, respawn=True,
                        log=self.tmp / f"worker-{len(self.workers)}.log").start()
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        _stop(self.beat)
        _stop(self.web)
        self.standin.stop()
        self.inbox.stop()
        with contextlib.suppress(Exception):
            self.pg.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True,
                       env=dict(self.env, DATABASE_CONN_MAX_AGE="0"), timeout=300,
                       stdout=subprocess.DEVNULL)

    def sql(self, query: str) -> list[tuple]:
        return self.pg.query(query, self.db_name)

    # --- Stripe's side of refunds and disputes, and the webhooks it would send ------------

    WEBHOOK_SECRET = "whsec_localstripe_dev"  # the processes' STRIPE_WEBHOOK_SECRET (stand-in)

    def charge(self, donation_id: str) -> dict:
        """The gift's charge as Stripe holds it now, its refunds expanded (a dict)."""
        [(payment_intent,)] = self.sql(
            f"SELECT stripe_payment_intent FROM donations_donation WHERE id = '{donation_id}'")
        client = self.standin.client()
        latest = client.v1.payment_intents.retrieve(payment_intent).latest_charge
        charge_id = latest if isinstance(latest, str) else latest.id  # the stand-in expands it
        return client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]}).to_dict()

    def refund_at_stripe(self, donation_id: str, amount: int) -> dict:
        """A refund made in Stripe's dashboard (the stand-in sends no event for it); the
        charge as it stands after."""
        [(payment_intent,)] = self.sql(
            f"SELECT stripe_payment_intent FROM donations_donation WHERE id = '{donation_id}'")
        self.standin.client().v1.refunds.create(
            params={"payment_intent": payment_intent, "amount": amount})
        return self.charge(donation_id)

    def deliver(self, event: dict) -> int | str:
        """POST one event to our webhook, signed now with the endpoint's secret as Stripe
        signs it; the HTTP status, or the error's name when nothing answered."""
        from tests.donations.test_webhooks import signature

        payload = json.dumps(event)
        try:
            return requests.post(
                self.url + "/stripe/webhook/", data=payload, timeout=30,
                headers={"Content-Type": "application/json",
                         "Stripe-Signature": signature(payload, secret=self.WEBHOOK_SECRET)},
            ).status_code
        except requests.RequestException as exc:
            return exc.__class__.__name__

    def mute_webhooks(self, muted: bool = True) -> None:
        """Stripe's events lost from now on (the stand-in's webhook pointed nowhere), or
        delivered again. The stand-in sends an event a second after the call that made it,
        to the endpoint registered then."""
        from tests.conftest import MUTED

        data = MUTED if muted else {"url": self.standin.webhook_url,
                                    "secret": self.WEBHOOK_SECRET}
        requests.post(self.standin.url + "/_config/webhooks/lifeline", data=data,
                      timeout=10).raise_for_status()

    def admin(self) -> "Admin":
        """A superuser signed in to /admin/ on the web processes."""
        password = uuid.uuid4().hex
        self.manage("shell", "-c", "from django.contrib.auth import get_user_model; "
                    "get_user_model().objects.create_superuser("
                    f"'finance-admin', 'admin@example.com', '{password}')")
        return Admin(self.url, "finance-admin", password)


    # --- the window between the mail server's 250 and the commit that records the send --

    HOLD_KEY = 7411  # the advisory lock the held commits wait for

    def hold_send_records(self) -> "psycopg.Connection":
        """From now on, a transaction that records a receipt as sent (email_sent_at from
        NULL to a time) stops at its COMMIT until the returned connection is closed: a
        deferred trigger waits for an advisory lock that connection holds. The worker has
        had the server's 250 and its commit has not happened: the window docs/receipts.md
        names. Whatever the code's design, the send is recorded by such a transaction."""
        import psycopg

        self.pg.execute(f"""
            CREATE OR REPLACE FUNCTION faults_hold_send_record() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock_shared({self.HOLD_KEY}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER faults_hold_send_record AFTER UPDATE ON donations_receipt
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            WHEN (OLD.email_sent_at IS NULL AND NEW.email_sent_at IS NOT NULL)
            EXECUTE FUNCTION faults_hold_send_record();
        """, self.db_name)
        holder = psycopg.connect(self.pg.url(self.db_name), autocommit=True)
        holder.execute(f"SELECT pg_advisory_lock({self.HOLD_KEY})")
        return holder

    def held_send_records(self) -> list[int]:
        """Server processes of the transactions waiting at that COMMIT."""
        return [pid for (pid,) in self.sql(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            f"AND objid = {self.HOLD_KEY}")]


class Admin:
    """Django admin in a browser's session: signed in, the CSRF token sent back."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.session = requests.Session()
        self.session.get(base + "/admin/login/", timeout=30).raise_for_status()
        signed_in = self.session.post(base + "/admin/login/", timeout=30, data={
            "username": username, "password": password, "next": "/admin/",
            "csrfmiddlewaretoken": self.session.cookies["csrftoken"]})
        assert signed_in.url.endswith("/admin/"), "the admin did not sign in"

    def refund(self, donation_id: str, amount: str, reason: str = "") -> requests.Response:
        """The refund form, shown (it reads Stripe's refunded figure) and submitted. A
        refund made ends on the donation's page; a refused one is the form again."""
        form = self.session.get(f"{self.base}/admin/donations/donation/{donation_id}/refund/",
                                timeout=60)
        form.raise_for_status()
        key = re.search(r'name="request_key" value="([0-9a-f]+)"', form.text)
        assert key, f"no refund form for {donation_id}"
        return self.session.post(form.url, timeout=60, data={
            "amount": amount, "reason": reason, "request_key": key.group(1),
            "csrfmiddlewaretoken": self.session.cookies["csrftoken"]})


class FaultyInbox(Inbox):
    """The test SMTP server, which can also be out of service: while `out`, every
    recipient is refused with 451 (a temporary failure, as a mail relay in trouble answers)
    and the attempt is counted per recipient; nothing is accepted."""

    def __init__(self):
        super().__init__()
        self.out = False
        self.refused = Counter()  # recipient -> attempts refused while out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.out:
            self.refused[address] += 1
            return "451 4.3.0 Mail service unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def make_lifeline(private_postgres, private_redis, tmp_path):
    """Start the system with options (Lifeline's); stopped after the test."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    started = []

    def make(**options) -> Lifeline:
        system = Lifeline(private_postgres, private_redis, tmp_path, **options)
        started.append(system)
        return system.start()

    try:
        yield make
    finally:
        for system in started:
            system.stop()


@pytest.fixture
def lifeline(make_lifeline):
    return make_lifeline()


# --- donors -------------------------------------------------------------------------------


def card_token(session: requests.Session, standin: str, publishable_key: str,
               card: str = CARD_OK, timeout: float = 30) -> requests.Response:
    """What the Payment Element does in the browser: the card into a ConfirmationToken at
    Stripe with the publishable key (our server is not called)."""
    return session.post(f"{standin}/v1/confirmation_tokens", timeout=timeout, json={
        "key": publishable_key, "payment_method_data": {
            "type": "card", "card": {"number": card, "exp_month": "12", "exp_year": "2034",
                                     "cvc": "123"}}})


@dataclass
class Donors:
    """Donor threads giving through the API and the stand-in, as the browser would, until
    told to stop. A donor whose request fails (5xx, a dropped connection) tries the same
    step again, with the same Idempotency-Key, as the page does. Every answer is counted."""

    lifeline: Lifeline
    count: int = 6
    statuses: Counter = field(default_factory=Counter)  # (step, HTTP status or error)
    paid: list = field(default_factory=list)  # donation ids the donor saw succeed
    latencies: list = field(default_factory=list)  # seconds, create + pay of one gift
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self.threads = [threading.Thread(target=self._donor, args=(i,), daemon=True)
                        for i in range(self.count)]

    def __enter__(self) -> "Donors":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in self.threads), "a donor hung"

    def succeeded(self) -> int:
        with self.lock:
            return len(self.paid)

    def _note(self, step: str, outcome) -> None:
        with self.lock:
            self.statuses[(step, outcome)] += 1

    def _until_answered(self, step: str, send) -> requests.Response | None:
        """Send until an answer that is not a server error (the donor presses again after
        a 503, a 500 or a dropped connection); None if that takes two minutes (gives up)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                answer = send()
            except requests.RequestException as exc:
                self._note(step, exc.__class__.__name__)
            else:
                self._note(step, answer.status_code)
                if answer.status_code < 500:
                    return answer
            time.sleep(0.3)
        return None

    def _donor(self, i: int) -> None:
        base, standin = self.lifeline.url, self.lifeline.standin.url
        session = requests.Session()
        n = 0
        while not self.stopping.is_set():
            n += 1
            key = f"donor{i}-gift{n}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            created = self._until_answered("create", lambda: session.post(
                base + "/api/v1/donations/", timeout=30, headers={"Idempotency-Key": key},
                json={"appeal": "emergency-appeal", "amount": f"{10 + i}.00",
                      "currency": "GBP", "email": f"donor{i}.{n}@example.com",
                      "first_name": "Ada", "last_name": f"Donor{i}"}))
            if created is None or created.status_code != 201:
                continue
            gift = created.json()
            # As the Payment Element does: the card into a ConfirmationToken at Stripe (the
            # publishable key, from the browser), then pay with it. A confirm that Stripe
            # carried out spends the token: a retry of the pay finds the PaymentIntent paid.
            token = self._until_answered("card", lambda: card_token(
                session, standin, gift["publishable_key"]))
            if token is None or token.status_code != 200:
                continue
            paid = self._until_answered("pay", lambda: session.post(
                f"{base}/api/v1/donations/{gift['id']}/pay/", timeout=30,
                json={"confirmation_token": token.json()["id"]}))
            if paid is not None and paid.status_code == 200 and \
                    paid.json()["status"] == "succeeded":
                with self.lock:
                    self.paid.append(gift["id"])
                    self.latencies.append(time.perf_counter() - started)


# --- what finance checks afterwards -------------------------------------------------------


PAID = ("succeeded", "partially_refunded", "refunded", "disputed")
DISPUTE_FOR_US = {"won", "warning_closed", "prevented"}  # Stripe's closed-for-the-charity


def assert_books_agree(lifeline: Lifeline, *, email_timeout: float = 90.0,
                       may_repeat: frozenset = frozenset()) -> dict:
    """What finance would check, with no manual reconcile first: the books must agree
    through what runs anyway (webhooks, the donor's return, the scheduler's own tasks).
    Every gift charged at Stripe is paid here (succeeded, or refunded or disputed since) with exactly one receipt, no donation was
    charged twice, receipt numbers run 1..N, and every receipt was emailed exactly once,
    except the receipt numbers in `may_repeat` (a send caught in docs/receipts.md's window):
    those at most twice, with one Message-ID. Returns the counts."""
    charged = lifeline.standin.succeeded_payment_intents()
    twice = {d: n for d, n in charged.items() if n > 1}
    assert not twice, f"donations charged more than once at Stripe: {twice}"

    succeeded = {str(d) for (d,) in lifeline.sql(
        f"SELECT id FROM donations_donation WHERE status IN {PAID}")}
    assert succeeded == set(charged), {
        "charged at Stripe, not succeeded here": sorted(set(charged) - succeeded),
        "succeeded here, not charged at Stripe": sorted(succeeded - set(charged)),
    }
    receipts = lifeline.sql(
        "SELECT r.donation_id, r.year, r.sequence, r.number FROM donations_receipt r "
        "ORDER BY r.year, r.sequence")
    per_donation = Counter(str(d) for d, *_ in receipts)
    assert set(per_donation) == succeeded, "a succeeded gift without its receipt (or the reverse)"
    assert max(per_donation.values(), default=1) == 1
    for year in {y for _, y, _, _ in receipts}:
        sequences = [s for _, y, s, _ in receipts if y == year]
        assert sequences == list(range(1, len(sequences) + 1)), f"gap in {year}: {sequences}"

    numbers = [n for *_, n in receipts]
    inbox = lifeline.inbox
    try:
        eventually(lambda: lifeline.sql(
            "SELECT count(*) FROM donations_receipt WHERE email_sent_at IS NULL") == [(0,)],
            timeout=email_timeout, what=f"{len(numbers)} receipts recorded as emailed")
        # Recorded as sent after the server's 250: every copy that will ever come is in.
        emailed = Counter(m["X-Lifeline-Receipt"] for m in inbox.messages)
        assert set(emailed) == set(numbers), {
            "not emailed": sorted(set(numbers) - set(emailed)),
            "emailed, not a receipt here": sorted(set(emailed) - set(numbers))}
        again = {n: c for n, c in emailed.items() if c > 1}
        assert set(again) <= may_repeat and max(again.values(), default=2) <= 2, \
            f"emailed more than once: {again}"
        for number in again:
            ids = {m["Message-ID"] for m in inbox.messages if m["X-Lifeline-Receipt"] == number}
            assert len(ids) == 1, f"{number} sent again with another Message-ID: {ids}"
    except BaseException:
        print(f"emails received: {len(inbox.messages)} for {len(numbers)} receipts")
        print("unsent (number, attempts, retry at, chain, sending until, queued at, now):",
              lifeline.sql("SELECT number, email_attempts, email_retry_at, email_chain, "
                           "email_sending_until, email_queued_at, now() FROM donations_receipt "
                           "WHERE email_sent_at IS NULL"))
        print_logs(lifeline)
        raise
    return {"charged": len(charged), "receipts": len(numbers), "emails": len(inbox.messages),
            "emailed_twice": sorted(again)}


def assert_refunds_agree(lifeline: Lifeline, disputes: dict[str, str],
                         appeal: str = "emergency-appeal") -> dict:
    """Refunds and disputes, as finance would check them against Stripe (after
    assert_books_agree). For every paid gift: its refunded amount is its charge's
    `amount_refunded` at Stripe, no charge was refunded more than it was charged, its refunds
    here are Stripe's refunds (each once, none left waiting for an answer), and its status
    is SPEC's: `disputed` while a dispute is open or lost, else (a dispute won gives back
    what it was) `refunded`, `partially_refunded` or `succeeded` by Stripe's figure.
    `disputes`: the last status Stripe gave each disputed gift's dispute. The appeal's
    raised (API) is SPEC's sum over Stripe's figures: gifts that succeeded less refunds,
    disputed ones left out until won. Returns the counts."""
    gifts = lifeline.sql(
        "SELECT d.id, d.amount, d.gift_amount, d.refunded_amount, d.status, a.slug "
        "FROM donations_donation d JOIN appeals_appeal a ON a.id = d.appeal_id "
        f"WHERE d.status IN {PAID}")
    recorded = defaultdict(set)
    for donation, stripe_id, amount, status in lifeline.sql(
            "SELECT donation_id, stripe_id, amount, status FROM donations_refund"):
        recorded[str(donation)].add((stripe_id, amount, status))
    wrong, over, statuses = {}, {}, Counter()
    raised = donors = 0
    for donation, amount, gift_amount, refunded, status, slug in gifts:
        donation = str(donation)
        charge = lifeline.charge(donation)
        refunds = charge["refunds"]["data"]
        assert not charge["refunds"].get("has_more")
        at_stripe = {(r["id"], r["amount"], r["status"]) for r in refunds}
        if sum(r["amount"] for r in refunds) > charge["amount"] or \
                charge["amount_refunded"] > charge["amount"]:
            over[donation] = (charge["amount"], sorted(at_stripe))
        dispute = disputes.get(donation)
        if dispute is not None and dispute not in DISPUTE_FOR_US:
            expected = "disputed"
        elif charge["amount_refunded"] >= amount:
            expected = "refunded"
        elif charge["amount_refunded"] > 0:
            expected = "partially_refunded"
        else:
            expected = "succeeded"
        mine = (refunded, status, sorted(recorded[donation]))
        theirs = (charge["amount_refunded"], expected, sorted(at_stripe))
        if mine != theirs:
            wrong[donation] = {"here": mine, "stripe": theirs}
        statuses[status] += 1
        if slug == appeal and expected in ("succeeded", "partially_refunded"):
            raised += max(gift_amount - charge["amount_refunded"], 0)
            donors += 1
    assert not over, f"charges refunded more than charged at Stripe: {over}"
    assert not wrong, f"gifts whose refunds or status disagree with Stripe: {wrong}"

    def shown():
        page = requests.get(f"{lifeline.url}/api/v1/appeals/{appeal}/", timeout=30).json()
        return int(Decimal(page["raised_amount"]) * 100), page["donor_count"]
    # The public figure may be APPEAL_TOTALS_TTL (5 s) stale, no more.
    eventually(lambda: shown() == (raised, donors), timeout=30,
               what=f"{appeal} raised {raised} from {donors} gifts (shown: {shown()})")
    return {"paid": len(gifts), "statuses": dict(statuses), "raised": raised,
            "refunded": sum(r for _, _, _, r, _, _ in gifts),
            "refunds": sum(len(v) for v in recorded.values())}


# Stripe's webhooks for what the stand-in cannot send, shaped from Stripe's own example
# objects (tests/fixtures/stripe_examples.json: fixtures3.json's charge, dispute, event).

def charge_refunded(charge: dict) -> dict:
    """`charge.refunded` as Stripe sends it after a refund: the charge as Stripe holds it
    (`lifeline.charge()`), cumulative `amount_refunded` and its refunds."""
    from tests.donations.test_webhooks import example, stripe_event

    obj = example("charge")
    obj.update({key: charge[key] for key in (
        "id", "amount", "amount_refunded", "currency", "created", "payment_intent")},
        amount_captured=charge["amount"], captured=True,
        refunded=charge["amount_refunded"] >= charge["amount"])
    obj["refunds"].update(data=charge["refunds"]["data"],
                          url=f"/v1/charges/{charge['id']}/refunds")
    return stripe_event("charge.refunded", obj)


def charge_dispute(event_type: str, charge: dict, dispute_id: str, status: str) -> dict:
    """`charge.dispute.created` / `.closed` on a real charge of ours, as a card network's
    chargeback reaches Stripe (the stand-in has no disputes)."""
    from tests.donations.test_webhooks import example, stripe_event

    obj = example("dispute")
    obj.update(id=dispute_id, charge=charge["id"], payment_intent=charge["payment_intent"],
               amount=charge["amount"], currency=charge["currency"], status=status,
               reason="fraudulent", created=int(time.time()))
    obj["payment_method_details"]["card"]["case_type"] = "chargeback"
    return stripe_event(event_type, obj)


def print_logs(lifeline: Lifeline) -> None:
    """What the processes said, for the report."""
    for log in sorted(lifeline.tmp.glob("*.log")):
        print(f"--- {log.name} (last lines) ---")
        print("\n".join(log.read_text(errors="replace").splitlines()[-60:]))
