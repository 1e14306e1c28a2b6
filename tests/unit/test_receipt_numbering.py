"""Receipt numbers: gapless per calendar year (of the charity's time zone), one per gift, taken
under the counter's lock by the service itself (donations.receipts.numbering.receipt_issue)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from donations.models import ReceiptSequence
from donations.receipts.numbering import receipt_issue
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def paid_on(year, month, day, hour=12, minute=0):
    return DonationFactory(succeeded_at=dt.datetime(year, month, day, hour, minute, tzinfo=LONDON))


def issue(donation):
    with transaction.atomic():
        return receipt_issue(donation=donation)


def test_numbers_follow_on_without_a_gap_and_restart_each_year(settings):
    settings.RECEIPT_PREFIX = "LL"
    numbers = [issue(paid_on(2026, 3, d)).number for d in (1, 2, 3)]
    numbers.append(issue(paid_on(2027, 1, 1, 0, 5)).number)
    numbers.append(issue(paid_on(2026, 12, 31, 23, 55)).number)  # heard of late: 2026's next

    assert numbers == ["LL-2026-000001", "LL-2026-000002", "LL-2026-000003", "LL-2027-000001",
                       "LL-2026-000004"]
    assert dict(ReceiptSequence.objects.values_list("year", "last_number")) == {2026: 4, 2027: 1}


def test_a_gift_has_one_receipt_however_often_it_is_issued():
    donation = paid_on(2026, 5, 1)

    first, again = issue(donation), issue(donation)

    assert first.pk == again.pk and first.number.endswith("-000001")
    assert ReceiptSequence.objects.get(year=2026).last_number == 1


def test_a_rolled_back_issue_leaves_no_gap():
    donation = paid_on(2026, 5, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        receipt_issue(donation=donation)
        raise RuntimeError("the transaction that marked the gift paid failed")

    assert issue(paid_on(2026, 5, 2)).number.endswith("-2026-000001")


def test_the_year_is_the_charitys_not_utcs(settings):
    """00:30 on 1 January in Auckland is still 31 December in UTC: an Auckland charity's
    receipt is numbered in the new year."""
    settings.TIME_ZONE = "Pacific/Auckland"
    auckland = dt.datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Pacific/Auckland"))

    receipt = issue(DonationFactory(succeeded_at=auckland))

    assert receipt.year == 2027 and receipt.number.endswith("-2027-000001")
