"""The mail server out of service for a minute under load, through the real parts
(tests/faults/conftest.py): every receipt emailed exactly once when it is back, within the
promise (docs/receipts.md), and one retry chain per receipt meanwhile, however many times the
sweeper runs (every 15 s, production's schedule)."""

import re
import time
from collections import defaultdict

import pytest
from django.conf import settings

from tests.faults.conftest import Donors, assert_books_agree
from tests.faults.test_outages import donors_were_only_told_to_retry, more_gifts

pytestmark = pytest.mark.faults

OUTAGE = 60  # seconds: past the sweeper's cut-off (30 s) and three of its runs
# The promise, from the settings the processes run (tests/faults/settings.py): once the
# server is back, each receipt's next attempt is at most RECEIPT_RETRY_MAX_SECONDS away, and
# if that attempt is lost the sweeper starts a new chain within its cut-off and period.
SWEEP = settings.CELERY_BEAT_SCHEDULE["sweep-unsent-receipts"]
PROMISE = (settings.RECEIPT_RETRY_MAX_SECONDS + SWEEP["kwargs"]["older_than_seconds"]
           + SWEEP["schedule"])
RETRY = re.compile(r"send_receipt_email\[([0-9a-f-]+)\] retry: .*?'([^']+@example\.com)'")


def retry_chains(lifeline) -> dict[str, set[str]]:
    """Per recipient, the Celery tasks that retried a send (a retry keeps its task's id, so
    one id is one chain), from the workers' logs."""
    chains = defaultdict(set)
    for log in lifeline.tmp.glob("worker-*.log"):
        for task, recipient in RETRY.findall(log.read_text(errors="replace")):
            chains[recipient].add(task)
    return chains


def test_mail_server_out_for_a_minute_every_receipt_once_and_one_retry_chain_each(lifeline):
    inbox = lifeline.inbox
    with Donors(lifeline) as donors:
        more_gifts(donors, 4, "gifts before the outage")
        inbox.out = True
        more_gifts(donors, 10, "gifts during the outage")
        time.sleep(OUTAGE)  # the outage's length, not an assertion
        inbox.out = False
        back = time.time()
        more_gifts(donors, 4, "gifts after the mail server came back")

    counts = assert_books_agree(lifeline, email_timeout=back + PROMISE - time.time())
    chains = retry_chains(lifeline)
    refused = dict(inbox.refused)
    sent = dict(lifeline.sql(
        "SELECT d.email, extract(epoch FROM r.email_sent_at) FROM donations_receipt r "
        "JOIN donations_donation d ON d.id = r.donation_id"))
    print(f"outage {OUTAGE}s: {len(refused)} receipts refused {sum(refused.values())} times "
          f"(most {max(refused.values())}); chains per receipt: "
          f"{sorted(len(ids) for ids in chains.values())}; the last refused receipt emailed "
          f"{max(float(sent[r]) for r in refused) - back:.0f}s after the server came back "
          f"(promised: {PROMISE:.0f}s)")
    assert set(refused) and set(chains) <= set(refused)
    assert {r: len(ids) for r, ids in chains.items() if len(ids) > 1} == {}, \
        "the sweeper started another retry chain for a receipt whose chain was alive"
    assert counts["emails"] == counts["receipts"]
    donors_were_only_told_to_retry(donors, "the mail server is not the web's business")
