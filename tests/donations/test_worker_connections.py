"""A Celery worker keeps its database connection from one task to the next (PostgreSQL).

Celery's Django fix-up closes every connection before and after each task unless told
otherwise (celery/fixups/django.py, `close_database`), whatever CONN_MAX_AGE says: each receipt
email was a new PostgreSQL backend (a fork, authentication, a few milliseconds of the
server's CPU). A trigger notes which backend records each receipt's send: its pid and
`backend_start` together name one connection.
"""

import pytest
from django.db import connection, transaction

from donations.models import Receipt
from donations.receipts.numbering import receipt_issue
from tests.conftest import Worker
from tests.factories import DonationFactory
from tests.helpers import eventually

pytestmark = pytest.mark.django_db(transaction=True)

RECEIPTS = 6

SQL_SETUP = """
CREATE TABLE test_send_backends (pid integer, backend_start timestamptz);
CREATE FUNCTION test_note_send_backend() RETURNS trigger AS $$
BEGIN
    INSERT INTO test_send_backends
        SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid();
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_note_send_backend AFTER UPDATE ON donations_receipt
    FOR EACH ROW WHEN (OLD.email_sent_at IS NULL AND NEW.email_sent_at IS NOT NULL)
    EXECUTE FUNCTION test_note_send_backend();
"""
SQL_TEARDOWN = """
DROP TRIGGER IF EXISTS test_note_send_backend ON donations_receipt;
DROP FUNCTION IF EXISTS test_note_send_backend();
DROP TABLE IF EXISTS test_send_backends;
"""


@pytest.fixture
def send_backends():
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL backends")
    with connection.cursor() as cursor:
        cursor.execute(SQL_TEARDOWN)
        cursor.execute(SQL_SETUP)
    yield
    with connection.cursor() as cursor:
        cursor.execute(SQL_TEARDOWN)


def test_a_worker_sends_many_receipts_over_one_database_connection(
        demo, inbox, worker_env, send_backends):
    for _ in range(RECEIPTS):
        donation = DonationFactory(appeal=demo)
        with transaction.atomic():
            receipt_issue(donation=donation)
    # As the Procfiles start a worker: no DATABASE_CONN_MAX_AGE of the web's (config/asgi.py).
    env = {k: v for k, v in worker_env.items() if k != "DATABASE_CONN_MAX_AGE"}
    worker = Worker(env, concurrency=1).start()
    try:
        eventually(lambda: Receipt.objects.filter(email_sent_at__isnull=False).count()
                   == RECEIPTS, timeout=90, what="every receipt sent")
    finally:
        worker.stop()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT (pid, backend_start)) "
                       "FROM test_send_backends")
        sends, backends = cursor.fetchone()
    assert sends == RECEIPTS
    assert backends == 1  # one pool process, one connection for all its tasks
