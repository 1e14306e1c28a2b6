"""What the admin calls each record (titles, links, history rows): money in major units,
names people read, never "DonationEvent object (20)" or "£25.59 to 1 (partially_refunded)"."""

from datetime import UTC, datetime

from appeals.models import Appeal
from donations.models import Dispute, Donation, DonationEvent
from finance.models import ExportLog, GiftAidClaimLine


def gift(**fields):
    appeal = Appeal(title="Emergency Appeal: Floods", currency="GBP")
    return Donation(appeal=appeal, amount=2559, gift_amount=2559, currency="GBP", **fields)


def test_a_donation_reads_as_its_amount_appeal_and_status():
    assert str(gift(status="partially_refunded")) == \
        "£25.59 to Emergency Appeal: Floods — Partially refunded"


def test_a_history_row_reads_as_what_happened_and_when_in_the_charitys_time():
    event = DonationEvent(donation=gift(), kind="status", from_status="pending",
                          to_status="succeeded", created_at=datetime(2026, 7, 1, 12, 5, tzinfo=UTC),
                          data={"refunded_before": 0, "refunded_after": 1000, "refund": "re_1"})
    assert str(event) == "Status pending → succeeded, 1 Jul 2026 13:05"  # London, summer
    assert event.data_display == "refunded before: £0.00, refunded after: £10.00, refund: re_1"


def test_disputes_claims_and_exports_read_in_pounds_and_words():
    donation = gift()
    assert str(Dispute(donation=donation, amount=2559, status="needs_response")) == \
        "Dispute of £25.59 (needs_response)"
    assert str(GiftAidClaimLine(donation=donation, amount=2000)).startswith("£20.00 claimed on")
    log = ExportLog(kind="receipts.csv", actor="fiona", at=datetime(2026, 12, 7, 9, tzinfo=UTC))
    assert str(log) == "Receipts CSV by fiona at 2026-12-07 09:00"
