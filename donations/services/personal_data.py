"""Personal data of one donor (UK GDPR): everything we hold about an email, and its erasure.

What erasure keeps, and why, is in docs/personal-data.md; `RETAINED` below says it in one
line for the command's output. In short: money records (amounts, dates, statuses, receipt
numbers, refunds, Stripe ids) stay, because the charity must keep its accounts; a Gift Aid
declaration's name, home address and wording stay for HMRC while a claim on it could still be
audited (6 years after the end of the accounting period: RETENTION_YEARS + 1 from the gift,
the safer reading); everything else that identifies the donor is removed.
"""

import datetime as dt
import getpass
import hashlib
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils import timezone

from core.attribution import ATTRIBUTION_FIELDS
from donations.models import BlockedAttempt, Donation, DonationEvent, Receipt, RegularGift
from donations.services.transitions import log_event
from donations.states import EventKind

logger = logging.getLogger(__name__)

RETENTION_YEARS = 6
# How long a donor's details are kept after their latest gift: HMRC's 6 years after the end
# of the accounting period, whose end is not known here, counted as a year after the gift.
DONOR_RETENTION = dt.timedelta(days=365 * (RETENTION_YEARS + 1) + 2)
# Card-testing refusals (an email, an address) are kept long enough to look into an attack.
BLOCKED_ATTEMPT_RETENTION = dt.timedelta(days=90)
RETAINED = (
    "Kept: amounts, dates, statuses, receipt numbers, refunds and Stripe references (the "
    "charity's accounts), and on Gift Aid gifts the declaration's name, home address, wording "
    f"and date, which HMRC requires for {RETENTION_YEARS} years after the accounting period. "
    "Stripe keeps its own copy of the payment: ask Stripe to erase it there."
)
ERASED_DOMAIN = "erased.invalid"

# Apps above this one that keep data of their own about a donor by email (donors/: sign-in
# links, news answers, Gift Aid cancellations) answer these, so the export and the erasure
# cover them without this module importing them. Receivers take `email`; an export's return
# a dict merged into the export, an erasure's run inside its transaction.
personal_data_exporting = Signal()
personal_data_erasing = Signal()


def _donations(email: str):
    return Donation.objects.filter(email__iexact=email.strip()).select_related(
        "appeal", "designation").order_by("created_at")


def _actor_fields(actor, message: str = "") -> dict:
    if actor is not None:
        return {"actor": actor, "source": DonationEvent.Source.ADMIN, "message": message}
    return {"actor": None, "source": DonationEvent.Source.SYSTEM,
            "message": message or f"By {getpass.getuser()} (manage.py donor_data)."}


def _iso(value):
    return value.isoformat() if value else None


def _donation_record(donation: Donation) -> dict:
    record = {
        "id": str(donation.id),
        "appeal": donation.appeal.slug,
        "designation": donation.designation.code if donation.designation else None,
        "amount_minor": donation.amount, "gift_amount_minor": donation.gift_amount,
        "currency": donation.currency, "cover_fees": donation.cover_fees,
        "refunded_amount_minor": donation.refunded_amount, "status": donation.status,
        "email": donation.email, "first_name": donation.first_name,
        "last_name": donation.last_name, "anonymous": donation.anonymous,
        "gift_aid": donation.gift_aid, "address_line1": donation.address_line1,
        "postcode": donation.postcode,
        "attribution": {name: getattr(donation, name) for name in ATTRIBUTION_FIELDS},
        "created_at": _iso(donation.created_at), "succeeded_at": _iso(donation.succeeded_at),
        "stripe_payment_intent": donation.stripe_payment_intent,
        "stripe_customer": donation.stripe_customer,
        "declaration": None, "receipt": None,
        "refunds": [{"amount_minor": r.amount, "status": r.status, "reason": r.reason,
                     "created_at": _iso(r.created_at)} for r in donation.refunds.all()],
        "disputes": [{"amount_minor": d.amount, "status": d.status, "reason": d.reason,
                      "created_at": _iso(d.created_at)} for d in donation.disputes.all()],
        "events": [{"at": _iso(e.created_at), "kind": e.kind, "source": e.source,
                    "from_status": e.from_status, "to_status": e.to_status,
                    "message": e.message} for e in donation.events.all()],
    }
    declaration = getattr(donation, "declaration", None)
    if declaration is not None:
        record["declaration"] = {
            "declared_at": _iso(declaration.declared_at), "scope": declaration.scope,
            "wording_version": declaration.wording_version, "wording": declaration.wording,
            "first_name": declaration.first_name, "last_name": declaration.last_name,
            "address_line1": declaration.address_line1, "postcode": declaration.postcode,
            "ip_address": declaration.ip_address, "user_agent": declaration.user_agent,
        }
    receipt = getattr(donation, "receipt", None)
    if receipt is not None:
        record["receipt"] = {"number": receipt.number, "issued_at": _iso(receipt.issued_at),
                             "emailed_at": _iso(receipt.email_sent_at)}
    return record


def donor_data_export(*, email: str, actor=None) -> dict:
    """Everything held about the donor with this email (any case), as JSON-ready data.

    Side effects: a `personal_data_exported` event on each donation (the audit log shows it).
    """
    donations = list(_donations(email).prefetch_related("refunds", "disputes", "events"))
    blocked = BlockedAttempt.objects.filter(email__iexact=email.strip()).order_by("created_at")
    data = {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "donations": [_donation_record(d) for d in donations],
        "regular_gifts": [
            {"id": str(g.pk), "status": g.status, "amount_minor": g.amount,
             "currency": g.currency, "appeal": g.appeal.slug, "created_at": _iso(g.created_at),
             "canceled_at": _iso(g.canceled_at), "first_name": g.first_name,
             "last_name": g.last_name, "address_line1": g.address_line1,
             "postcode": g.postcode, "stripe_customer": g.stripe_customer,
             "stripe_subscription": g.stripe_subscription}
            for g in RegularGift.objects.filter(email__iexact=email.strip())
            .select_related("appeal").order_by("created_at")
        ],
        "blocked_attempts": [
            {"at": _iso(b.created_at), "reason": b.reason, "ip_address": b.ip_address,
             "appeal": b.appeal, "amount_minor": b.amount, "currency": b.currency}
            for b in blocked
        ],
        "retention": RETAINED,
    }
    for _receiver, extra in personal_data_exporting.send(sender=None, email=email.strip()):
        data.update(extra or {})
    DonationEvent.objects.bulk_create(
        DonationEvent(donation=d, kind=EventKind.PERSONAL_DATA_EXPORTED, **_actor_fields(actor))
        for d in donations
    )
    return data


@dataclass
class Erasure:
    donations: int = 0
    kept_for_hmrc: list[str] = field(default_factory=list)
    blocked_attempts: int = 0
    regular_gifts: int = 0


def _kept_for_hmrc(donation: Donation, now: dt.datetime) -> bool:
    # HMRC: Gift Aid records kept 6 years after the end of the accounting period the gift is
    # in. The period's end is not known here: count it as a year after the gift (safer).
    return hasattr(donation, "declaration") and now < donation.created_at + DONOR_RETENTION


def donor_data_erase(*, email: str, actor=None, message: str = "") -> Erasure:
    """Anonymise the donor with this email (any case), keeping what finance and HMRC need
    (RETAINED). Idempotent: a second call finds nothing under that email. `message` says why
    on the audit event (default: who ran `manage.py donor_data`).

    Side effects: a `personal_data_erased` event on each donation, without the erased data.
    """
    now = timezone.now()
    result = Erasure()
    with transaction.atomic():
        donations = list(_donations(email).select_for_update(of=("self",)))
        for donation in donations:
            keep = _kept_for_hmrc(donation, now)
            # A unique, undeliverable address: the field stays valid, the person is gone.
            token = hashlib.sha256(f"{donation.pk}".encode()).hexdigest()[:12]
            donation.email = f"erased-{token}@{ERASED_DOMAIN}"
            donation.anonymous = True
            for name in ATTRIBUTION_FIELDS:
                setattr(donation, name, "")
            changed = ["email", "anonymous", *ATTRIBUTION_FIELDS, "updated_at"]
            if keep:
                result.kept_for_hmrc.append(str(donation.pk))
            else:
                donation.first_name = donation.last_name = ""
                donation.address_line1 = donation.postcode = ""
                changed += ["first_name", "last_name", "address_line1", "postcode"]
            donation.save(update_fields=changed)
            declaration = getattr(donation, "declaration", None)
            if declaration is not None:
                declaration.ip_address, declaration.user_agent = None, ""
                declaration_fields = ["ip_address", "user_agent"]
                if not keep:
                    declaration.first_name = declaration.last_name = ""
                    declaration.address_line1 = declaration.postcode = ""
                    declaration_fields += ["first_name", "last_name", "address_line1",
                                           "postcode"]
                declaration.save(update_fields=declaration_fields)
            # An SMTP error may quote the address it could not deliver to.
            Receipt.objects.filter(donation=donation).update(email_last_error="")
            log_event(donation, kind=EventKind.PERSONAL_DATA_ERASED,
                      **_actor_fields(actor, message), data={"kept_for_hmrc": keep})
        result.donations = len(donations)
        # A monthly gift holds the donor's details for the months to come: erased too (its
        # months already made keep what their own rule above kept; the next ones carry the
        # erased details). Stripe's Customer is Stripe's copy (RETAINED).
        for gift in RegularGift.objects.select_for_update().filter(email__iexact=email.strip()):
            token = hashlib.sha256(f"{gift.pk}".encode()).hexdigest()[:12]
            gift.email = f"erased-{token}@{ERASED_DOMAIN}"
            gift.anonymous = True
            gift.first_name = gift.last_name = gift.address_line1 = gift.postcode = ""
            gift.save(update_fields=["email", "anonymous", "first_name", "last_name",
                                     "address_line1", "postcode", "updated_at"])
            result.regular_gifts += 1
        result.blocked_attempts = BlockedAttempt.objects.filter(
            email__iexact=email.strip()).update(email="", ip_address="")
        personal_data_erasing.send(sender=None, email=email.strip())
    logger.info("Donor data erased", extra={"donations": result.donations,
                                            "kept_for_hmrc": len(result.kept_for_hmrc)})
    return result


@dataclass
class Purge:
    donors: int = 0
    donations: int = 0
    blocked_attempts: int = 0


def retention_purge(*, dry_run: bool = False) -> Purge:
    """Erase (donor_data_erase) every donor whose latest gift is older than DONOR_RETENTION,
    and delete card-testing refusals older than BLOCKED_ATTEMPT_RETENTION. Safe to run again:
    erased donors no longer match. `dry_run` counts and changes nothing."""
    now = timezone.now()
    expired = (
        Donation.objects.exclude(email__endswith=f"@{ERASED_DOMAIN}")
        .annotate(address=Lower("email")).values("address")
        .annotate(latest=Max("created_at"), gifts=Count("id"))
        .filter(latest__lt=now - DONOR_RETENTION)
    )
    old_attempts = BlockedAttempt.objects.filter(created_at__lt=now - BLOCKED_ATTEMPT_RETENTION)
    result = Purge()
    for row in expired:
        result.donors += 1
        if dry_run:
            result.donations += row["gifts"]
            continue
        result.donations += donor_data_erase(
            email=row["address"],
            message=f"No gift for {DONOR_RETENTION.days} days: past the retention period "
                    "(purge_personal_data).",
        ).donations
    if dry_run:
        result.blocked_attempts = old_attempts.count()
    else:
        result.blocked_attempts, _ = old_attempts.delete()
    logger.info("Personal data past retention purged",
                extra={"dry_run": dry_run, "donors": result.donors,
                       "donations": result.donations,
                       "blocked_attempts": result.blocked_attempts})
    return result
