"""Our figures for a period beside Stripe's balance transactions, and each gift that differs.

Ours: the charges of receipts issued in the period, and refunds recorded in it (the
`donations.Refund` rows Stripe has taken on, pending ones too: `donations.states.REFUND_COUNTS`,
the statuses `refunded_amount` counts). Stripe's: its balance transactions created in the
period. Both use the same local days (TIME_ZONE), so a gift paid a second before midnight
whose receipt is issued after it shows as "in another period" rather than as missing money.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from donations.models import Donation, Refund
from donations.states import REFUND_COUNTS
from finance import selectors
from finance.filters import Period
from gateways import stripe as stripe_gateway

FIGURES = ["charges", "amount", "fee", "net", "refunds", "refunded"]


@dataclass
class Difference:
    donation_id: str
    stripe_id: str
    what: str


@dataclass
class Reconciliation:
    ours: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(FIGURES, 0)))
    stripe: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(FIGURES, 0)))
    differences: list[Difference] = field(default_factory=list)
    other: list[stripe_gateway.BalanceTxn] = field(default_factory=list)

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.ours) | set(self.stripe))


def reconcile(period: Period) -> Reconciliation:
    """:raises gateways.stripe.PaymentProviderError: Stripe could not be read."""
    result = Reconciliation()
    txns = stripe_gateway.balance_transactions(start=period.issued_after,
                                               end=period.issued_before)

    ours_by_charge = {}
    for pk, charge, amount, fee, net, currency in selectors.receipts_in_period(period).values_list(
            "donation_id", "donation__stripe_charge", "donation__amount", "donation__fee",
            "donation__net", "donation__currency").iterator(chunk_size=selectors.CHUNK):
        figures = result.ours[currency]
        figures["charges"] += 1
        figures["amount"] += amount
        figures["fee"] += fee or 0
        figures["net"] += net or 0
        ours_by_charge[charge] = (str(pk), amount, fee, net)

    refunds = Refund.objects.filter(status__in=REFUND_COUNTS)
    if period.issued_after:
        refunds = refunds.filter(created_at__gte=period.issued_after)
    if period.issued_before:
        refunds = refunds.filter(created_at__lt=period.issued_before)
    if period.appeal:
        refunds = refunds.filter(donation__appeal__slug=period.appeal)
    ours_by_refund = {}
    for stripe_id, pk, amount, currency in refunds.values_list(
            "stripe_id", "donation_id", "amount", "donation__currency"):
        result.ours[currency]["refunds"] += 1
        result.ours[currency]["refunded"] += amount
        ours_by_refund[stripe_id] = (str(pk), amount)

    charge_txns = [t for t in txns if t.type == "charge"]
    known = dict(Donation.objects.filter(stripe_charge__in=[t.source for t in charge_txns])
                 .values_list("stripe_charge", "appeal__slug"))
    for t in charge_txns:
        if period.appeal and known.get(t.source) != period.appeal:
            continue
        figures = result.stripe[t.currency]
        figures["charges"] += 1
        figures["amount"] += t.amount
        figures["fee"] += t.fee
        figures["net"] += t.net
        mine = ours_by_charge.pop(t.source, None)
        if mine is None:
            where = "receipted in another period" if t.source in known else "unknown to Lifeline"
            result.differences.append(Difference("", t.source, f"Stripe charge {where}."))
            continue
        pk, amount, fee, net = mine
        for name, ours, theirs in (("amount", amount, t.amount), ("fee", fee, t.fee),
                                   ("net", net, t.net)):
            if ours != theirs:
                result.differences.append(
                    Difference(pk, t.source, f"{name}: ours {ours}, Stripe {theirs}."))
    for charge, (pk, *_rest) in ours_by_charge.items():
        result.differences.append(
            Difference(pk, charge, "Receipted here; no Stripe charge in this period."))

    for t in txns:
        if t.type == "refund":
            mine = ours_by_refund.pop(t.source, None)
            if period.appeal and mine is None:
                continue
            result.stripe[t.currency]["refunds"] += 1
            result.stripe[t.currency]["refunded"] += -t.amount
            if mine is None:
                result.differences.append(
                    Difference("", t.source, "Stripe refund not recorded here in this period."))
            elif mine[1] != -t.amount:
                result.differences.append(Difference(
                    mine[0], t.source, f"refund: ours {mine[1]}, Stripe {-t.amount}."))
        elif t.type != "charge":
            result.other.append(t)  # disputes (adjustment), payouts…: listed as they are
    for stripe_id, (pk, _amount) in ours_by_refund.items():
        result.differences.append(
            Difference(pk, stripe_id, "Refund recorded here; not in Stripe's balance."))
    return result
