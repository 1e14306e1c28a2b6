"""The per-article report: views, gifts, money and conversion, summed by the database."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate

from appeals.models import Appeal
from attribution.models import PageView, Publisher
from donations.states import COUNTED

GROUP_BY = ("utm_source", "utm_medium", "utm_campaign", "ref")


@dataclass
class ReportRow:
    utm_source: str
    utm_medium: str
    utm_campaign: str
    ref: str
    page_views: int = 0
    embed_views: int = 0
    gifts: int = 0
    raised: int = 0  # minor units: gifts without covered fees, less refunds

    @property
    def views(self) -> int:
        return self.page_views + self.embed_views

    @property
    def conversion(self) -> float | None:
        """Gifts per view, or None with no view counted (a gift from an old link)."""
        return self.gifts / self.views if self.views else None


def attribution_report(
    *, appeal: Appeal, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[ReportRow]:
    """One row per source, medium, campaign and article; most money raised first.

    Dates are inclusive, in the charity's time zone. Gifts count as `raised` does on the
    appeal page (succeeded, less refunds; disputed left out).
    """
    views = PageView.objects.filter(appeal=appeal)
    gifts = appeal.donations.filter(status__in=COUNTED)
    if date_from:
        views = views.filter(day__gte=date_from)
        gifts = gifts.annotate(day=TruncDate("created_at")).filter(day__gte=date_from)
    if date_to:
        views = views.filter(day__lte=date_to)
        gifts = gifts.annotate(day=TruncDate("created_at")).filter(day__lte=date_to)

    rows: dict[tuple, ReportRow] = {}

    def row(values: dict) -> ReportRow:
        key = tuple(values[name] for name in GROUP_BY)
        return rows.setdefault(key, ReportRow(*key))

    for values in views.values(*GROUP_BY).annotate(
        page=Coalesce(Sum("views", filter=Q(kind=PageView.Kind.PAGE)), Value(0)),
        embed=Coalesce(Sum("views", filter=Q(kind=PageView.Kind.EMBED)), Value(0)),
    ).order_by():
        r = row(values)
        r.page_views, r.embed_views = values["page"], values["embed"]
    for values in gifts.values(*GROUP_BY).annotate(
        n=Count("id"),
        money=Sum(Greatest(F("gift_amount") - F("refunded_amount"), Value(0))),
    ).order_by():
        r = row(values)
        r.gifts, r.raised = values["n"], values["money"]
    return sorted(rows.values(), key=lambda r: (-r.raised, -r.gifts, -r.views, r.ref))


# --- the view beacon: which appeal a slug names, without a query per view --------------------

APPEAL_IDS_KEY = "attribution:appeal-ids:v1"
APPEAL_IDS_TTL = 30
# A slug not in the map is looked up again at most once a second per deployment (a new
# appeal is counted from then on; made-up slugs cost one query a second at most).
APPEAL_IDS_REFRESH_KEY = "attribution:appeal-ids:refresh"


def _public_appeal_ids() -> dict[str, int]:
    ids = dict(
        Appeal.objects.filter(status__in=[Appeal.Status.LIVE, Appeal.Status.CLOSED])
        .values_list("slug", "pk")
    )
    cache.set(APPEAL_IDS_KEY, ids, timeout=APPEAL_IDS_TTL)
    return ids


def appeal_id_for_views(slug: str) -> int | None:
    """The id of the public appeal (live or closed, as its page) named `slug`, or None.

    One cache read per call: the slug → id map of every public appeal is kept in the shared
    cache for APPEAL_IDS_TTL seconds (an appeal taken back to draft is counted that long
    more) and read from the database again when missing, or for a slug it lacks at most
    once a second.
    """
    ids = cache.get(APPEAL_IDS_KEY)
    if ids is None:
        ids = _public_appeal_ids()
    elif slug not in ids and cache.add(APPEAL_IDS_REFRESH_KEY, 1, timeout=1):
        ids = _public_appeal_ids()
    return ids.get(slug)


# --- the embed's "Readers of … gave £X": per appeal and source, without a query per view ------

def _source_raised_key(appeal_id: int, source: str, totals: tuple) -> str:
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()
    return f"source-raised:v1:{appeal_id}:{':'.join(map(str, totals))}:{digest}"


def source_raised(*, appeal_id: int, source: str, totals: tuple) -> tuple[str, int, str]:
    """(the publication's name, what its readers gave to the appeal, the currency): the
    publisher's name, or the source itself where no publisher has it; money as the appeal's
    totals count it (COUNTED, gifts without covered fees, less refunds).

    `totals` are the appeal's totals the caller's page was rendered with: the entry is kept
    per appeal, source and those totals for APPEAL_TOTALS_TTL, so a gift that changes the
    totals (appeals.selectors.appeal_totals_changed, then a new page entry) is a new entry at
    once, and the old one is never read again. Two queries per appeal and source per change.
    """
    key = _source_raised_key(appeal_id, source, totals)
    found = cache.get(key)
    if found is not None:
        return found
    currency, raised = Appeal.objects.filter(pk=appeal_id).annotate(raised=Coalesce(
        Sum(Greatest(F("donations__gift_amount") - F("donations__refunded_amount"), Value(0)),
            filter=Q(donations__status__in=COUNTED, donations__utm_source=source)),
        Value(0),
    )).values_list("currency", "raised").get()
    name = Publisher.objects.filter(source=source).values_list("name", flat=True).first()
    found = (name or source, raised, currency)
    cache.set(key, found, timeout=settings.APPEAL_TOTALS_TTL)
    return found
