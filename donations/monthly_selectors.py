"""Reads about monthly gifts for the admin: the next collection, an appeal's monthly figures.
Nothing is written here (docs/monthly-gifts.md, "In the admin")."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from donations.models import RegularGift, RegularGiftEvent

G = RegularGift.Status
# Gifts Stripe still collects: what an appeal is promised each month.
COLLECTING = (G.ACTIVE, G.PAST_DUE)


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    """`when`, `months` later on the same day, or the month's last day where it has fewer
    (Stripe bills an anchor of the 31st on the 30th, or the 28th/29th in February)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month,
                        day=min(when.day, calendar.monthrange(year, month)[1]))


def regular_gift_next_collection(gift: RegularGift, *, now: dt.datetime | None = None,
                                 ) -> dt.date | None:
    """The day (in the charity's time zone) Stripe next bills the gift, from its billing
    anchor (the subscription was made with the gift: Stripe bills monthly from then); None
    for a gift Stripe does not collect (incomplete, canceled). An estimate: a gift changed
    in Stripe's Dashboard (a new anchor, a pause) is not seen here."""
    if gift.status not in COLLECTING:
        return None
    now = now or timezone.now()
    anchor = gift.created_at
    months = 1
    while _add_months(anchor, months) <= now:
        months += 1
    return _add_months(anchor, months).astimezone(ZoneInfo(settings.TIME_ZONE)).date()


@dataclass(frozen=True)
class AppealMonthly:
    donors: int  # gifts Stripe still collects (active or past due)
    promised: int  # what they give each month, minor units, without covered fees
    failed_this_month: int  # gifts that went past due this calendar month


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    """The first instant of this calendar month in the charity's time zone."""
    local = (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def appeal_monthly(*, appeal_id, now: dt.datetime | None = None) -> AppealMonthly:
    """An appeal's monthly gifts, for its admin page (two queries).

    Failed payments this month: the gifts whose status Stripe turned to past due since the
    1st (RegularGiftEvent), each counted once however often its card was retried."""
    figures = RegularGift.objects.filter(appeal_id=appeal_id, status__in=COLLECTING).aggregate(
        donors=Count("pk"), promised=Sum("gift_amount"))
    failed = RegularGiftEvent.objects.filter(
        Q(regular_gift__appeal_id=appeal_id) & Q(to_status=G.PAST_DUE)
        & Q(created_at__gte=month_start(now)),
    ).values("regular_gift").distinct().count()
    return AppealMonthly(donors=figures["donors"], promised=figures["promised"] or 0,
                         failed_this_month=failed)
