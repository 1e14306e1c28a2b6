"""Finance's writes: the export log, Gift Aid claims, the Finance group's permissions."""

from __future__ import annotations

import getpass
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Invalid
from finance import giftaid
from finance.filters import Period
from finance.models import ExportLog, GiftAidAdjustment, GiftAidClaim, GiftAidClaimLine

logger = logging.getLogger(__name__)


def export_log_start(*, kind: str, period: Period | None, user=None, source: str = "web",
                     extra: dict | None = None) -> ExportLog:
    """Record that an export began (who, when, filters), before any row is sent."""
    filters = period.as_json() if period is not None else {}
    filters.update(extra or {})
    actor = user.get_username() if user is not None else f"{_os_user()} (command)"
    log = ExportLog.objects.create(
        user=user, actor=actor, kind=kind, source=source, filters=filters,
    )
    logger.info("finance export %s", kind, extra={"export_log": log.pk, "filters": filters})
    return log


def export_log_finish(*, log_id: int, row_count: int, warnings: list | None = None) -> None:
    """Record the rows an export sent once it has sent them all."""
    ExportLog.objects.filter(pk=log_id).update(
        row_count=row_count, finished_at=timezone.now(), warnings=warnings or [],
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def gift_aid_claim_record(*, period: Period, user=None,
                          reference: str = "") -> tuple[GiftAidClaim, int]:
    """Record a claim: the gifts claimable in the period now, oldest first and at most
    GIFT_AID_CLAIM_MAX_DONATIONS of them (HMRC's limit per claim), and every over-claim not
    yet reported (to be entered on this claim's form as "over-claimed previously").

    Returns the claim and how many claimable gifts of the period it left for the next one.

    :raises Invalid: nothing to claim, or another claim took some of the gifts (or
        over-claims) first.
    """
    limit = settings.GIFT_AID_CLAIM_MAX_DONATIONS
    try:
        with transaction.atomic():
            # Over-claims are read under a lock on their claim lines, so two claims recorded
            # at once (a double-click, or claims for different periods) do not both report
            # one; the unique (line, reported_before) refuses it if they ever did.
            adjustments = giftaid.over_claims(lock=True)
            claimable = [e for e in giftaid.entries(period) if e.claimable]
            entries, remaining = claimable[:limit], len(claimable[limit:])
            if not entries and not adjustments:
                raise Invalid("Nothing to claim in this period.")
            claim = GiftAidClaim.objects.create(
                created_by=user, period_from=period.start, period_to=period.end,
                appeal_slug=period.appeal, reference=reference,
                total=sum(e.amount for e in entries),
                adjustment_total=sum(a.amount for a in adjustments),
            )
            # The one-to-one on donation refuses a gift claimed twice, even by two finance
            # staff recording claims at the same moment.
            GiftAidClaimLine.objects.bulk_create(
                GiftAidClaimLine(claim=claim, donation_id=e.donation_id, amount=e.amount)
                for e in entries
            )
            GiftAidAdjustment.objects.bulk_create(
                GiftAidAdjustment(line_id=a.line_id, claim=claim, amount=a.amount,
                                  reported_before=a.already_adjusted, reason=a.reason)
                for a in adjustments
            )
    except IntegrityError:
        raise Invalid("Another claim recorded at the same moment took some of these gifts or "
                      "over-claims; download again.") from None
    logger.info("gift aid claim recorded",
                extra={"claim": claim.pk, "lines": len(entries), "remaining": remaining})
    return claim, remaining
