"""Reads for finance: receipts and Gift Aid gifts of a period, as export rows.

Rows come from `values_list(...).iterator(chunk_size=...)` over one joined query: memory stays
flat whatever the row count, and there is no query per row.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from core.money import to_major_str
from donations.models import Donation, Receipt, RegularGift
from finance.filters import Period

CHUNK = 2000

# SPEC "Receipts": the receipt export's columns, in this order.
RECEIPT_COLUMNS = [
    "receipt_number", "issued_at", "donation_id", "appeal", "designation", "donor_name",
    "donor_email", "amount", "currency", "fee", "net", "refunded_amount", "status",
    "gift_aid", "stripe_payment_intent", "utm_source", "ref", "frequency", "regular_gift_id",
]
# Columns that hold money (decimal strings in major units); every other column is text.
RECEIPT_MONEY_COLUMNS = {"amount", "fee", "net", "refunded_amount"}
# Columns that hold a moment (ISO 8601 with TIME_ZONE's offset).
RECEIPT_DATETIME_COLUMNS = {"issued_at"}

# A month of a monthly gift names its regular gift; a one-off gift none (SPEC "Receipt export
# columns": `frequency` is `once` or `monthly`).
ONE_OFF = RegularGift.Frequency.ONCE.value
MONTHLY = RegularGift.Frequency.MONTHLY.value

_RECEIPT_FIELDS = [
    "number", "issued_at", "donation_id", "donation__appeal__slug", "donation__designation__code",
    "donation__first_name", "donation__last_name", "donation__email", "donation__amount",
    "donation__currency", "donation__fee", "donation__net", "donation__refunded_amount",
    "donation__status", "donation__gift_aid", "donation__stripe_payment_intent",
    "donation__utm_source", "donation__ref", "donation__regular_gift_id",
]


def receipts_in_period(period: Period) -> QuerySet:
    """Receipts issued in the period (local dates, inclusive), oldest first."""
    qs = _in_period(Receipt.objects.all(), period, receipt="", donation="donation__")
    return qs.order_by("issued_at", "year", "sequence")


def _in_period(qs: QuerySet, period: Period, *, receipt: str, donation: str) -> QuerySet:
    """Filter by the receipt's issue time and the donation's appeal; `receipt`/`donation`
    are the lookup prefixes that reach them from the queryset's model."""
    if period.issued_after is not None:
        qs = qs.filter(**{f"{receipt}issued_at__gte": period.issued_after})
    if period.issued_before is not None:
        qs = qs.filter(**{f"{receipt}issued_at__lt": period.issued_before})
    if period.appeal:
        qs = qs.filter(**{f"{donation}appeal__slug": period.appeal})
    return qs


def _money(minor, currency) -> str:
    return "" if minor is None else to_major_str(minor, currency)


def issued_at_local(value) -> str:
    """ISO 8601 with the offset of TIME_ZONE (SPEC "API", finance)."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def receipt_row(values: tuple) -> dict:
    (number, issued_at, donation_id, appeal, designation, first, last, email, amount, currency,
     fee, net, refunded, status, gift_aid, payment_intent, utm_source, ref,
     regular_gift) = values
    return {
        "receipt_number": number,
        "issued_at": issued_at_local(issued_at),
        "donation_id": str(donation_id),
        "appeal": appeal,
        "designation": designation or "",
        # Finance sees an anonymous donor's name and email (SPEC).
        "donor_name": f"{first} {last}".strip(),
        "donor_email": email,
        "amount": _money(amount, currency),
        "currency": currency,
        # Blank, not 0.00, until Stripe's balance transaction has been read.
        "fee": _money(fee, currency),
        "net": _money(net, currency),
        "refunded_amount": _money(refunded, currency),
        "status": status,
        "gift_aid": "yes" if gift_aid else "no",
        "stripe_payment_intent": payment_intent,
        "utm_source": utm_source,
        "ref": ref,
        "frequency": MONTHLY if regular_gift else ONE_OFF,
        # null in JSON, an empty cell in CSV and XLSX for a one-off gift
        "regular_gift_id": str(regular_gift) if regular_gift else None,
    }


def receipt_values(qs: QuerySet) -> QuerySet:
    return qs.values_list(*_RECEIPT_FIELDS)


def receipt_rows(period: Period) -> Iterator[dict]:
    """Every receipt row of the period, streamed from the database."""
    for values in receipt_values(receipts_in_period(period)).iterator(chunk_size=CHUNK):
        yield receipt_row(values)


def gift_aid_candidates(period: Period) -> QuerySet:
    """Donations with Gift Aid ticked whose receipt was issued in the period: the claim's
    candidates before HMRC's rules are applied (finance.giftaid)."""
    qs = Donation.objects.filter(gift_aid=True, receipt__isnull=False)
    qs = _in_period(qs, period, receipt="receipt__", donation="")
    return qs.order_by("receipt__issued_at", "receipt__year", "receipt__sequence")
