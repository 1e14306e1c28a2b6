"""Refunds: an admin's refund through Stripe, and the refunds Stripe reports, applied.

The refunded amount is Stripe's cumulative figure for the charge, applied monotonically
(`apply_refunded`): every path that learns of a refund (the admin form, a `charge.refunded`
webhook, the reconciliation, a PaymentIntent re-read) may apply it, in any order.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import Invalid
from core.money import format_money
from donations.models import Donation, DonationEvent, PaymentAttempt, Refund
from donations.services.transitions import lock_donation, log_event, resettle, totals_changed
from donations.states import PAID, REFUND_COUNTS, REFUND_REQUESTED, REFUNDABLE, EventKind
from gateways import stripe as stripe_gateway


def donation_of_charge(*, payment_intent: str, charge: str) -> Donation | None:
    """The donation a charge belongs to, from what we recorded only (never asks Stripe)."""
    if charge:
        found = Donation.objects.filter(stripe_charge=charge).first()
        if found:
            return found
    if payment_intent:
        attempt = PaymentAttempt.objects.select_related("donation").filter(
            payment_intent=payment_intent).first()
        if attempt:
            return attempt.donation
    return None


def donation_for_charge(*, payment_intent: str, charge: str) -> Donation | None:
    """The donation a charge belongs to; asks Stripe when only an unknown charge is named."""
    found = donation_of_charge(payment_intent=payment_intent, charge=charge)
    if found is None and charge and not payment_intent:
        # A dispute or refund can name only the charge, before we recorded it: re-read.
        payment_intent = stripe_gateway.charge_payment_intent(charge)
        found = donation_of_charge(payment_intent=payment_intent, charge="")
    return found


# After this long without Stripe's answer (its timeout and retries are far shorter), the
# request died with its process: it no longer holds back what is left, and submitting the
# same form again asks Stripe again with the same idempotency key.
REFUND_REQUEST_STALE = timedelta(minutes=5)


def _record_refund_seen(donation: Donation, refund: dict) -> None:
    """Keep a refund that Stripe reports (made in its dashboard, say) in the history. One the
    admin form asked for (its request key in the metadata) completes that form's row."""
    if not refund.get("id") or not refund.get("amount"):
        return
    values = {"donation": donation, "amount": refund["amount"],
              "status": refund.get("status") or ""}
    if Refund.objects.filter(stripe_id=refund["id"]).update(**values):
        return
    key = (refund.get("metadata") or {}).get("lifeline_request_key")
    if key and Refund.objects.filter(request_key=key, status=REFUND_REQUESTED).update(
            stripe_id=refund["id"], **values):
        return
    Refund.objects.create(stripe_id=refund["id"], **values)


def apply_refunded(donation: Donation, *, amount_refunded: int, charge: str, source: str,
                   stripe_event: str = "", actor=None, message: str = "",
                   refunds=()) -> bool:
    """Record a locked donation's cumulative refunded amount as Stripe's charge gives it.

    Monotonic: a figure at or below what we hold (a stale event, a refund already counted)
    changes nothing, so every path that learns of a refund may apply it, in any order.
    `refunds`: the charge's refund objects (dicts), when known, kept for history.
    """
    for seen in refunds:
        _record_refund_seen(donation, seen)
    if amount_refunded <= donation.refunded_amount:
        return False
    before = donation.refunded_amount
    donation.refunded_amount = amount_refunded
    if charge and not donation.stripe_charge:
        donation.stripe_charge = charge
    donation.save(update_fields=["refunded_amount", "stripe_charge", "updated_at"])
    log_event(donation, kind=EventKind.REFUND, source=source, stripe_event=stripe_event,
              actor=actor, data={"refunded_before": before, "refunded_after": amount_refunded})
    totals_changed(donation)
    resettle(donation, source=source, stripe_event=stripe_event, actor=actor, message=message)
    return True


def donation_record_refund(*, payment_intent: str, charge: str, amount_refunded: int,
                           source: str, stripe_event: str = "", actor=None,
                           refunds: list[dict] = ()) -> Donation | None:
    """Record the charge's cumulative refunded amount (monotonic: a stale event changes nothing).

    `refunds`: the charge's refund objects, when the event carries them, kept for history.
    """
    found = donation_for_charge(payment_intent=payment_intent, charge=charge)
    if found is None:
        return None
    with transaction.atomic():
        donation = lock_donation(found.pk)
        apply_refunded(donation, amount_refunded=amount_refunded, charge=charge, source=source,
                       stripe_event=stripe_event, actor=actor, refunds=refunds)
    return donation


def donation_sync_refunds(*, donation_id, source: str, actor=None) -> int | None:
    """Read what Stripe has refunded on a paid gift's charge now, and apply it.

    Stripe is asked outside any transaction; the answer is applied under the row lock.
    Returns Stripe's refunded total (None: the gift is unpaid, nothing to ask about).

    :raises stripe_gateway.PaymentProviderError: Stripe unreachable; nothing changed.
    """
    donation = Donation.objects.get(pk=donation_id)
    if donation.status not in PAID:
        return None
    if donation.stripe_charge:
        charge = stripe_gateway.charge_retrieve(donation.stripe_charge)
        total, charge_id = charge.amount_refunded, charge.id
        refunds = [r.as_dict() for r in charge.refunds]
    elif donation.stripe_payment_intent:
        pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        total, charge_id, refunds = pi.amount_refunded, pi.charge_id, []
    else:
        return None
    with transaction.atomic():
        donation = lock_donation(donation_id)
        apply_refunded(donation, amount_refunded=total, charge=charge_id, source=source,
                       actor=actor, refunds=refunds)
    return total


class RefundRefused(Invalid):
    """The refund cannot be made as asked (amount, state); `message` says why."""


def _requested_in_flight(donation: Donation, *, but: str = "") -> int:
    """What refunds asked of Stripe and not yet answered hold back, in minor units."""
    rows = Refund.objects.filter(
        donation=donation, status=REFUND_REQUESTED,
        created_at__gt=timezone.now() - REFUND_REQUEST_STALE,
    ).exclude(request_key=but)
    return sum(rows.values_list("amount", flat=True))


def donation_refundable(donation: Donation) -> int:
    """What is left to refund, in minor units (0 when the gift cannot be refunded now)."""
    if donation.status not in REFUNDABLE:
        return 0
    return max(donation.amount - donation.refunded_amount - _requested_in_flight(donation), 0)


def donation_refund(*, donation_id, amount: int, actor, reason: str = "",
                    request_key: str) -> Refund:
    """Refund `amount` (minor units) of a paid gift through Stripe, and apply Stripe's answer
    at once (the stand-in sends no refund event; real Stripe's `charge.refunded` that follows
    then changes nothing).

    Stripe's refunded figure for the charge is read and applied first, so a refund made in
    Stripe's dashboard counts before we judge what is left. No lock is held across a Stripe
    call: the refund is claimed under the donation's row lock (a `requested` row that holds
    its amount back, so two admins cannot together refund more than the gift), Stripe is
    asked outside any transaction, and the charge's new cumulative refunded amount is applied
    under the lock again. `request_key` (minted when the form was shown) is also Stripe's
    idempotency key: a double-submitted form gets the first refund (or its claim, while
    Stripe is still answering), never a second one.

    :raises RefundRefused: the amount is not positive, exceeds what is left, or the gift is
        not in a refundable state (disputed, unpaid, refunded).
    :raises stripe_gateway.PaymentProviderError: Stripe could not be asked; nothing changed.
    """
    done = Refund.objects.filter(request_key=request_key).first()
    if done is not None and not _stale_request(done):
        return done
    known = donation_sync_refunds(donation_id=donation_id, source=DonationEvent.Source.ADMIN,
                                  actor=actor)
    claim, mine = _refund_claim(donation_id=donation_id, amount=amount, actor=actor,
                                reason=reason, request_key=request_key)
    if not mine and not _stale_request(claim):
        return claim  # the same form, submitted twice at once: the first one asks Stripe
    donation = claim.donation
    if known is None:
        known = donation.refunded_amount
    try:
        answer = stripe_gateway.refund_create(
            payment_intent=donation.stripe_payment_intent, amount=claim.amount,
            idempotency_key=f"lifeline-refund-{request_key}",
            metadata={"donation_id": str(donation.pk), "lifeline_request_key": request_key},
        )
    except stripe_gateway.PaymentProviderError:
        Refund.objects.filter(pk=claim.pk, status=REFUND_REQUESTED).delete()
        raise
    try:
        total = stripe_gateway.charge_retrieve(answer.charge_id or donation.stripe_charge)
        refunded = max(total.amount_refunded, known + answer.amount)
    except stripe_gateway.PaymentProviderError:
        # Refunded, but the new total could not be read: count what we know is refunded
        # (never more); the next reconciliation reads the charge again, the refund being new.
        refunded = known + answer.amount
    return _refund_answered(claim_pk=claim.pk, donation_id=donation.pk, answer=answer,
                            refunded=refunded, actor=actor, reason=reason,
                            request_key=request_key)


def _stale_request(refund: Refund) -> bool:
    return (refund.status == REFUND_REQUESTED
            and refund.created_at <= timezone.now() - REFUND_REQUEST_STALE)


def _refund_claim(*, donation_id, amount: int, actor, reason: str,
                  request_key: str) -> tuple[Refund, bool]:
    """Under the row lock: check the refund against what is left, and hold its amount back
    with a `requested` row: (that row, True). The form's row if it has one: (it, False)."""
    with transaction.atomic():
        donation = lock_donation(donation_id)
        existing = Refund.objects.select_related("donation").filter(
            request_key=request_key).first()
        if existing is not None:
            return existing, False
        if donation.status not in REFUNDABLE:
            raise RefundRefused(
                f"A {donation.get_status_display().lower()} gift cannot be refunded."
            )
        if amount <= 0:
            raise RefundRefused("Enter an amount greater than zero.")
        left = donation_refundable(donation)
        if amount > left:
            raise RefundRefused(
                f"At most {format_money(left, donation.currency)} is left to refund."
            )
        return Refund.objects.create(
            stripe_id=f"{REFUND_REQUESTED}-{request_key}", donation=donation, amount=amount,
            status=REFUND_REQUESTED, reason=reason[:300], request_key=request_key, actor=actor,
        ), True


def _refund_answered(*, claim_pk: int, donation_id, answer: stripe_gateway.RefundState,
                     refunded: int, actor, reason: str, request_key: str) -> Refund:
    """Under the row lock: the claim becomes Stripe's refund, and the charge's refunded
    total is applied. A reconciliation may have recorded the refund already: one row stays."""
    with transaction.atomic():
        donation = lock_donation(donation_id)
        claim = Refund.objects.filter(pk=claim_pk).first()
        row = Refund.objects.filter(stripe_id=answer.id).exclude(pk=claim_pk).first()
        if row is not None and claim is not None:
            claim.delete()
        row = row or claim or Refund(donation=donation)
        row.stripe_id, row.amount, row.status = answer.id, answer.amount, answer.status
        row.reason, row.request_key, row.actor = reason[:300], request_key, actor
        row.save()
        log_event(donation, kind=EventKind.REFUND_REQUESTED, source=DonationEvent.Source.ADMIN,
                  actor=actor, message=reason, data={"refund": answer.id, "amount": answer.amount,
                                                     "status": answer.status})
        if answer.status in REFUND_COUNTS:
            apply_refunded(donation, amount_refunded=refunded, charge=answer.charge_id,
                           source=DonationEvent.Source.ADMIN, actor=actor, message=reason)
    return row
