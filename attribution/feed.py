"""The publisher's feed: what each of a publication's articles raised, read by the database.

One entry per article (`ref`), placement (`utm_content`) and currency (and day, when asked):
views counted by us (PageView, on the appeals of that currency), donations started and
declined, gifts and money as the appeal totals count them (donations.states.COUNTED, gift
without covered fees less refunds), money per 1,000 views and a 95% interval for it.
Counts of donations under SUPPRESS_BELOW are left out (None), so that no single donor's gift
can be read off the feed. No donor's personal data is read. Method: docs/publishers.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from attribution.models import PageView
from core.money import to_major_str
from donations.models import Donation
from donations.states import COUNTED

SUPPRESS_BELOW = 5
Z_95 = Decimal("1.959964")  # the normal distribution's 97.5th percentile


@dataclass
class FeedEntry:
    ref: str
    placement: str  # utm_content; "" when the link carried none (None in the feed)
    currency: str
    day: dt.date | None = None  # with by_day only
    views: int = 0
    started: int = 0  # donations created (the form was sent), paid or not
    declines: int = 0  # of those, declined at least once (another card may have paid since)
    gifts: int = 0
    amount: int = 0  # minor units: gifts without covered fees, less refunds
    amount_squares: int = 0  # sum of each gift's amount squared (the interval's variance)

    @property
    def suppressed(self) -> bool:
        return self.gifts < SUPPRESS_BELOW

    def rate_and_error(self) -> tuple[Decimal, Decimal] | None:
        """Money per 1,000 views and its standard error, in minor units (Decimal), or None
        without a view. The normal approximation on the amount per view (docs/publishers.md):
        each view gave a gift's amount or zero; a gift counts as a view when fewer views were
        counted (a reader without JavaScript, an old link's view before counting began)."""
        n = max(self.views, self.gifts)
        if self.views == 0 or n < 2:
            return None
        with localcontext() as ctx:
            ctx.prec = 40
            total, squares = Decimal(self.amount), Decimal(self.amount_squares)
            mean = total / n
            variance = max((squares - total * mean) / (n - 1), Decimal(0))
            return mean * 1000, (variance / n).sqrt() * 1000

    def per_1000_views(self) -> tuple[int, int, int] | None:
        """(estimate, low, high) of money per 1,000 views in minor units: the 95% interval,
        its low end at least 0, rounded outwards; None without a view."""
        found = self.rate_and_error()
        if found is None:
            return None
        rate, error = found
        return (int(rate.to_integral_value()),
                int(max(rate - Z_95 * error, Decimal(0)).to_integral_value(ROUND_FLOOR)),
                int((rate + Z_95 * error).to_integral_value(ROUND_CEILING)))

    def as_json(self) -> dict:
        """The feed's entry (SPEC): money as decimal strings in major units; the counts of
        donations under SUPPRESS_BELOW and everything derived from them as None."""
        rate = None if self.suppressed else self.per_1000_views()
        entry = {
            "ref": self.ref,
            "placement": self.placement or None,
            "views": self.views,
            "gifts": None if self.suppressed else self.gifts,
            "amount": None if self.suppressed else to_major_str(self.amount, self.currency),
            "currency": self.currency,
            "amount_per_1000_views": rate and to_major_str(rate[0], self.currency),
            "interval": rate and [to_major_str(rate[1], self.currency),
                                  to_major_str(rate[2], self.currency)],
            "started": self.started if self.started >= SUPPRESS_BELOW else None,
            "declines": self.declines if self.declines >= SUPPRESS_BELOW else None,
        }
        if self.day is not None:
            entry = {"day": self.day.isoformat(), **entry}
        return entry


def _local_midnight(day: dt.date) -> dt.datetime | None:
    """The start of `day` in the charity's time zone; None beyond what a datetime holds."""
    try:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        moment.astimezone(dt.UTC)
    except OverflowError:
        return None
    return moment


def publisher_feed(
    *, source: str, date_from: dt.date | None = None, date_to: dt.date | None = None,
    by_day: bool = False,
) -> list[FeedEntry]:
    """The feed of the publication `source` (its utm_source): entries sorted by article,
    placement, currency (and day). Dates are inclusive, in the charity's time zone: views by
    the day they were counted, donations by the day they were started. Three queries."""
    views = PageView.objects.filter(utm_source=source)
    donations = Donation.objects.filter(utm_source=source)
    if date_from:
        views = views.filter(day__gte=date_from)
        start = _local_midnight(date_from)
        if start is not None:
            donations = donations.filter(created_at__gte=start)
    if date_to:
        views = views.filter(day__lte=date_to)
        end = _local_midnight(date_to + dt.timedelta(days=1)) if date_to < dt.date.max else None
        if end is not None:
            donations = donations.filter(created_at__lt=end)
    view_keys = ["ref", "utm_content", "appeal__currency"]
    gift_keys = ["ref", "utm_content", "currency"]
    if by_day:
        view_keys.append("day")
        donations = donations.annotate(day=TruncDate("created_at"))
        gift_keys.append("day")

    entries: dict[tuple, FeedEntry] = {}

    def entry(values: dict, keys: list[str]) -> FeedEntry:
        key = tuple(values[name] for name in keys)
        return entries.setdefault(key, FeedEntry(*key[:3], day=key[3] if by_day else None))

    for values in views.values(*view_keys).annotate(n=Sum("views")).order_by():
        entry(values, view_keys).views = values["n"]
    counted = Q(status__in=COUNTED)
    net = Greatest(F("gift_amount") - F("refunded_amount"), Value(0))
    for values in donations.values(*gift_keys).annotate(
        started=Count("id"),
        gifts=Count("id", filter=counted),
        amount=Coalesce(Sum(net, filter=counted), Value(0)),
        squares=Coalesce(Sum(net * net, filter=counted), Value(0)),
    ).order_by():
        e = entry(values, gift_keys)
        e.started, e.gifts = values["started"], values["gifts"]
        e.amount, e.amount_squares = values["amount"], values["squares"]
    declined = (donations.filter(events__to_status=Donation.Status.FAILED)
                .values(*gift_keys).annotate(n=Count("id", distinct=True)).order_by())
    for values in declined:
        entry(values, gift_keys).declines = values["n"]
    return sorted(entries.values(), key=lambda e: (e.ref, e.placement, e.currency,
                                                   e.day or dt.date.min))


CSV_COLUMNS = ("day", "ref", "placement", "currency", "views", "started", "declines", "gifts",
               "amount", "amount_per_1000_views", "interval_low", "interval_high")


def feed_csv_row(entry: FeedEntry) -> list:
    """One CSV row of an entry, in CSV_COLUMNS' order: None as an empty cell. The text cells
    (ref, placement) are neutralised by the caller."""
    data = entry.as_json()
    low, high = data["interval"] or (None, None)
    cells = [data.get("day"), data["ref"], data["placement"], data["currency"], data["views"],
             data["started"], data["declines"], data["gifts"], data["amount"],
             data["amount_per_1000_views"], low, high]
    return ["" if cell is None else cell for cell in cells]


def placement_comparisons(entries: list[FeedEntry]) -> list[dict]:
    """For each article (and currency) shown in two placements or more, each placement beside
    the one that raised most per 1,000 views: the difference and its 95% interval (the two
    standard errors combined, the placements' views being different readers), and whether
    the interval leaves out 0 (`clear`: the difference is unlikely to be chance). Only
    placements whose figures are shown (5 gifts or more, views counted); never per day."""
    by_article: dict[tuple, list[tuple[FeedEntry, tuple]]] = {}
    for e in entries:
        found = None if e.suppressed or e.day is not None else e.rate_and_error()
        if found is not None:
            by_article.setdefault((e.ref, e.currency), []).append((e, found))
    comparisons = []
    for (ref, currency), placed in sorted(by_article.items()):
        if len(placed) < 2:
            continue
        placed.sort(key=lambda p: (-p[1][0], p[0].placement))
        best, (best_rate, best_error) = placed[0]
        for other, (rate, error) in placed[1:]:
            with localcontext() as ctx:
                ctx.prec = 40
                difference = best_rate - rate
                margin = Z_95 * (best_error ** 2 + error ** 2).sqrt()
                low = (difference - margin).to_integral_value(ROUND_FLOOR)
                high = (difference + margin).to_integral_value(ROUND_CEILING)
            comparisons.append({
                "ref": ref,
                "currency": currency,
                "placement": best.placement or None,
                "versus": other.placement or None,
                "difference_per_1000_views": to_major_str(
                    int(difference.to_integral_value()), currency),
                "interval": [to_major_str(int(low), currency), to_major_str(int(high), currency)],
                "clear": low > 0,
            })
    return comparisons
