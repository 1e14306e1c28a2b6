"""HMRC's Gift Aid rules applied to our donations (DOMAIN.md "UK Gift Aid").

A gift is in the schedule when it is a paid GBP gift with a recorded declaration, a house name
or number and a UK postcode, not disputed, not already claimed, and something of the gift is
left after refunds. Everything else gets a reason, which the admin shows ("Gift Aid checks").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from core.money import to_major_str
from core.postcodes import normalise_uk_postcode
from donations.models import Dispute, Donation
from donations.states import DISPUTE_LOST, PAID, S
from finance.cells import house_name_or_number, schedule_name
from finance.filters import Period
from finance.models import GiftAidClaimLine
from finance.selectors import CHUNK, gift_aid_candidates

# SPEC "Receipts": HMRC's Charities Online schedule, in this order.
GIFT_AID_COLUMNS = [
    "title", "first_name", "last_name", "house_name_or_number", "postcode",
    "aggregated_donations", "sponsored_event", "donation_date", "amount",
]
# HMRC: "a claim is to have up to 1,000 Gift Aid donors"; larger claims are split.
HMRC_MAX_ROWS = 1000

_FIELDS = [
    "id", "currency", "status", "gift_amount", "refunded_amount", "succeeded_at",
    "receipt__issued_at", "receipt__number", "declaration__id", "declaration__first_name",
    "declaration__last_name", "declaration__address_line1", "declaration__postcode",
    "gift_aid_claim_line__claim_id",
]


@dataclass
class GiftAidEntry:
    donation_id: str
    receipt_number: str
    reason: str = ""  # why the claim leaves it out; "" when it is claimed
    amount: int = 0  # pence claimable now (gift less refunds)
    cells: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def claimable(self) -> bool:
        return not self.reason


def claimable_amount(*, gift_amount: int, refunded_amount: int) -> int:
    """The gift less what was refunded, never below 0.

    A refund is taken from the gift first, even when the donor also covered the fee: the
    safer reading (HMRC is never over-claimed), since Stripe's refund does not say which part
    went back.
    """
    return max(0, gift_amount - refunded_amount)


def donation_date(succeeded_at, issued_at) -> str:
    """DD/MM/YY in the charity's time zone (HMRC's format)."""
    return timezone.localtime(succeeded_at or issued_at).strftime("%d/%m/%y")


def evaluate(values: tuple) -> GiftAidEntry:
    (pk, currency, status, gift_amount, refunded, succeeded_at, issued_at, number, declaration,
     first, last, address, postcode, claim_id) = values
    entry = GiftAidEntry(donation_id=str(pk), receipt_number=number or "")
    entry.amount = claimable_amount(gift_amount=gift_amount, refunded_amount=refunded)
    if currency != "GBP":
        entry.reason = f"Not a GBP gift ({currency}): HMRC repays tax on sterling gifts only."
    elif declaration is None:
        entry.reason = "No Gift Aid declaration is recorded for this gift."
    elif status == S.DISPUTED:
        entry.reason = "Disputed: left out while the dispute is open, and for good if lost."
    elif status not in PAID:  # disputed: the branch above
        entry.reason = f"Not paid (status {status})."
    elif entry.amount == 0:
        entry.reason = "Wholly refunded."
    elif claim_id is not None:
        entry.reason = f"Already claimed in Gift Aid claim {claim_id}."
    if entry.reason:
        return entry
    first_name, first_cut = schedule_name(first)
    last_name, last_cut = schedule_name(last)
    house = house_name_or_number(address)
    uk_postcode = normalise_uk_postcode(postcode)
    if not first_name or not last_name:
        entry.reason = "The declaration has no first name or no last name."
    elif not house:
        entry.reason = "The declaration has no house name or number."
    elif uk_postcode is None:
        entry.reason = f"Postcode {postcode!r} is not a UK postcode."
    if entry.reason:
        return entry
    if first_cut:
        entry.warnings.append(f"first_name cut to {len(first_name)} characters: {first!r}")
    if last_cut:
        entry.warnings.append(f"last_name cut to {len(last_name)} characters: {last!r}")
    entry.cells = {
        "title": "",  # optional; Lifeline does not ask for it
        "first_name": first_name,
        "last_name": last_name,
        "house_name_or_number": house,
        "postcode": uk_postcode,
        "aggregated_donations": "",  # Lifeline claims per donor
        "sponsored_event": "",
        "donation_date": donation_date(succeeded_at, issued_at),
        "amount": to_major_str(entry.amount, "GBP"),
    }
    return entry


def evaluate_all(qs: QuerySet) -> Iterator[GiftAidEntry]:
    for values in qs.values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        yield evaluate(values)


def entries(period: Period) -> Iterator[GiftAidEntry]:
    """Every Gift Aid candidate of the period, claimable or with its reason."""
    return evaluate_all(gift_aid_candidates(period))


def claim_entries(claim) -> Iterator[GiftAidEntry]:
    """A recorded claim's schedule again, with the amounts claimed then: the same file."""
    qs = Donation.objects.filter(gift_aid_claim_line__claim=claim).order_by(
        "receipt__issued_at", "receipt__year", "receipt__sequence")
    amounts = dict(claim.lines.values_list("donation_id", "amount"))
    for values in qs.values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        # Rebuilt as it was before it was claimed: claim id cleared, amount as claimed.
        entry = evaluate(values[:-1] + (None,))
        amount = amounts[values[0]]
        entry.reason, entry.amount = "", amount
        entry.cells["amount"] = to_major_str(amount, "GBP")
        yield entry


@dataclass(frozen=True)
class OverClaim:
    line_id: int
    claim_id: int
    donation_id: str
    receipt_number: str
    claimed: int
    claimable_now: int
    already_adjusted: int
    reason: str

    @property
    def amount(self) -> int:
        """Donation pence over-claimed and not yet reported."""
        return self.claimed - self.already_adjusted - self.claimable_now

    @property
    def tax(self) -> int:
        """The Gift Aid (25% of the donation) to give back, in pence, rounded up."""
        return -(-self.amount * 25 // 100)


def over_claims(*, lock: bool = False) -> list[OverClaim]:
    """Claimed gifts since refunded, or whose dispute was lost: over-claims not yet reported.

    An open dispute is not an over-claim yet (the gift may come back); it becomes one if lost.

    `lock=True` (inside a transaction, to report them): the claim lines are locked first, in
    id order, and only then are they and their adjustments read, so a claim recorded at the
    same moment that reports them makes this one wait, and this one then reads its
    adjustments (PostgreSQL's READ COMMITTED gives each statement a fresh snapshot; SQLite
    takes its write lock at BEGIN IMMEDIATE).
    """
    lost = Dispute.objects.filter(donation=OuterRef("donation_id"), status=DISPUTE_LOST)
    candidates = GiftAidClaimLine.objects.filter(
        Q(donation__refunded_amount__gt=0) | Q(Exists(lost))).order_by("id")
    if lock:
        # FOR UPDATE refuses GROUP BY: the lock is a query of its own, before the sums.
        list(candidates.select_for_update(of=("self",)).values_list("id", flat=True))
    lines = (
        candidates.select_related("donation", "donation__receipt")
        .annotate(adjusted=Sum("adjustments__amount"), lost=Exists(lost))
    )
    found = []
    for line in lines:
        donation = line.donation
        if line.lost:
            now, reason = 0, "Dispute lost after the claim."
        else:
            now = claimable_amount(gift_amount=donation.gift_amount,
                                   refunded_amount=donation.refunded_amount)
            reason = "Refunded after the claim."
        item = OverClaim(
            line_id=line.pk, claim_id=line.claim_id, donation_id=str(donation.pk),
            receipt_number=donation.receipt.number, claimed=line.amount, claimable_now=now,
            already_adjusted=line.adjusted or 0, reason=reason,
        )
        if item.amount > 0:
            found.append(item)
    return found


def schedule_warnings(items: Iterable[GiftAidEntry]) -> list[dict]:
    return [{"donation_id": e.donation_id, "receipt_number": e.receipt_number, "warning": w}
            for e in items for w in e.warnings]
