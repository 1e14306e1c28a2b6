"""Gift Aid claims recorded at the same moment, each request in its own thread and database
connection: an over-claim is reported to HMRC once, however many claims race for it.

Issue 12: a double-click on "record claim" reported the same £5 over-claim twice, and ten
claims at once for different periods reported one twice.

Every claim must have read what it will report before any claim writes, or the race is
left to timing. A `WriteGate` makes that certain: the test's own connection holds a lock
that a claim's first write needs (PostgreSQL: a table lock on the claims; SQLite: the
database's write lock), and each thread says when it runs its first statement inside a
transaction (Django's `execute_wrapper` sees it). Once every thread has, the gate opens.
Code that reads the over-claims outside its transaction has then read them all before
anyone wrote; code that locks before it reads has one claim waiting on the gate and the
others waiting on its lock, and opening the gate lets them through one at a time.
"""

import threading
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from donations.models import Donation
from finance import services
from finance.filters import Period
from finance.models import GiftAidAdjustment, GiftAidClaim
from tests.finance.conftest import local, receipted

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/finance/gift-aid/claims/"


class WriteGate:
    def __init__(self, expected: int):
        self.expected = expected
        self.arrived = 0
        self.condition = threading.Condition()

    def arrive(self) -> None:
        with self.condition:
            self.arrived += 1
            self.condition.notify_all()

    @contextmanager
    def closed(self):
        """Hold claims' writes back until `expected` threads have reached their transaction."""
        with transaction.atomic():  # SQLite: BEGIN IMMEDIATE takes the write lock
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Conflicts with the ROW EXCLUSIVE lock an INSERT takes; not with reads,
                    # nor with FOR UPDATE on other tables.
                    cursor.execute("LOCK TABLE finance_giftaidclaim IN SHARE ROW EXCLUSIVE MODE")
            yield self
            with self.condition:
                reached = self.condition.wait_for(lambda: self.arrived >= self.expected,
                                                  timeout=60)
            assert reached, f"only {self.arrived} of {self.expected} claims reached the gate"

    def watch(self, execute, sql, params, many, context):
        """execute_wrapper: the first statement of a transaction (SQLite's BEGIN, or any
        statement once autocommit is off) means this claim has read what it reads outside."""
        if not getattr(self._local, "arrived", False) and (
                sql.startswith("BEGIN") or not context["connection"].get_autocommit()):
            self._local.arrived = True
            self.arrive()
        return execute(sql, params, many, context)

    _local = threading.local()


def record_claims_at_once(token: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    gate = WriteGate(len(bodies))
    results: list = [None] * len(bodies)

    def record(i: int, body: dict):
        try:
            gate._local.arrived = False
            with connection.execute_wrapper(gate.watch):
                response = Client().post(URL, body, content_type="application/json",
                                         HTTP_AUTHORIZATION=f"Token {token}")
            results[i] = (response.status_code, response.json())
        except BaseException as exc:  # reported by the main thread
            results[i] = exc
            gate.arrive()  # never leave the main thread waiting for a thread that died
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(i, body)) for i, body in enumerate(bodies)]
    with gate.closed():
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


@pytest.fixture
def over_claim(finance_user) -> Donation:
    """A June gift claimed, then refunded £5 of its £40: £5 over-claimed, not yet reported."""
    june = receipted(issued_at=local(2026, 6, 4, 9), declared=True, amount=4000)
    services.gift_aid_claim_record(
        period=Period(start=local(2026, 6, 1).date(), end=local(2026, 6, 30).date()),
        user=finance_user)
    Donation.objects.filter(pk=june.pk).update(refunded_amount=500, status="partially_refunded")
    return june


def reported(donation) -> list[int]:
    return list(GiftAidAdjustment.objects.filter(line__donation=donation)
                .values_list("amount", flat=True))


def test_double_click_on_record_claim_reports_the_over_claim_once(over_claim, finance_token):
    august = {"from": "2026-08-01", "to": "2026-08-31"}  # nothing new: only the over-claim

    results = record_claims_at_once(finance_token, [august, august])

    assert reported(over_claim) == [500]
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400], results
    made = next(body for status, body in results if status == 201)
    assert made["adjustment_total"] == "5.00"
    refused = next(body for status, body in results if status == 400)
    assert "Nothing to claim" in refused["non_field_errors"][0]
    assert GiftAidClaim.objects.count() == 2  # June's and this one


def test_ten_claims_at_once_for_different_days_report_the_over_claim_once(
        over_claim, finance_token):
    for day in range(1, 11):
        receipted(issued_at=local(2026, 7, day, 9), declared=True, amount=1000)
    days = [{"from": f"2026-07-{day:02d}", "to": f"2026-07-{day:02d}"} for day in range(1, 11)]

    results = record_claims_at_once(finance_token, days)

    assert [status for status, _ in results] == [201] * 10, results
    assert [body["lines"] for _, body in results] == [1] * 10  # each day's gift, once
    assert reported(over_claim) == [500]
    assert sorted(body["adjustment_total"] for _, body in results) == ["0.00"] * 9 + ["5.00"]


def test_the_next_refund_on_a_reported_line_is_reported_after_it(over_claim, finance_user):
    """The chain behind the constraint: a second refund after the first was reported is a
    new over-claim of its own, reported by the next claim, and nothing after that."""
    august = Period(start=local(2026, 8, 1).date(), end=local(2026, 8, 31).date())
    services.gift_aid_claim_record(period=august, user=finance_user)
    Donation.objects.filter(pk=over_claim.pk).update(refunded_amount=1500)

    services.gift_aid_claim_record(period=august, user=finance_user)

    assert reported(over_claim) == [500, 1000]
    assert list(GiftAidAdjustment.objects.filter(line__donation=over_claim)
                .values_list("reported_before", flat=True)) == [0, 500]
    with pytest.raises(Exception, match="Nothing to claim"):
        services.gift_aid_claim_record(period=august, user=finance_user)
    # The backstop, whatever the locks: the same over-claim cannot be reported again.
    first = GiftAidAdjustment.objects.filter(line__donation=over_claim).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftAidAdjustment.objects.create(line=first.line, claim=first.claim, amount=500,
                                         reported_before=0, reason="again")
