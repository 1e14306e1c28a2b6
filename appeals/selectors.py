"""Reads about appeals: what donors see, totals computed by the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from appeals.models import Appeal
from donations.states import COUNTED


@dataclass(frozen=True)
class Totals:
    raised: int
    donors: int


def _counted():
    return Q(donations__status__in=COUNTED)


def appeals_with_totals(queryset=None):
    """Annotate `raised_amount` and `donor_count`.

    Raised: gifts (without covered fees) that succeeded, less refunds; disputed gifts are
    left out until won, wholly refunded ones count nothing. Donors: the gifts counted.
    """
    queryset = queryset if queryset is not None else Appeal.objects.all()
    return queryset.annotate(
        raised_amount=Coalesce(
            Sum(
                Greatest(F("donations__gift_amount") - F("donations__refunded_amount"), Value(0)),
                filter=_counted(),
            ),
            Value(0),
        ),
        donor_count=Count("donations", filter=_counted()),
    )


def totals_key(appeal_id: int) -> str:
    """The cache key of an appeal's totals; the cached pages check it is still there."""
    return f"appeal-totals:v1:{appeal_id}"


def _with_cached_totals(appeals: list[Appeal]) -> list[Appeal]:
    """Set `raised_amount` and `donor_count` on each appeal from the cache, computing the
    missing ones in one query. A change invalidates them (appeal_totals_changed); the TTL
    bounds staleness where another process's cache was not told."""
    keys = {totals_key(a.pk): a for a in appeals}
    found = cache.get_many(list(keys))
    missing = [a.pk for key, a in keys.items() if key not in found]
    if missing:
        rows = appeals_with_totals(Appeal.objects.filter(pk__in=missing)).values_list(
            "pk", "raised_amount", "donor_count"
        )
        fresh = {totals_key(pk): (raised, donors) for pk, raised, donors in rows}
        cache.set_many(fresh, timeout=settings.APPEAL_TOTALS_TTL)
        found.update(fresh)
    for key, appeal in keys.items():
        appeal.raised_amount, appeal.donor_count = found.get(key, (0, 0))
    return appeals


def appeal_totals_changed(appeal_id: int) -> None:
    """Forget an appeal's cached totals (a gift succeeded, was refunded or disputed)."""
    cache.delete(totals_key(appeal_id))


def appeal_list_public() -> list[Appeal]:
    return _with_cached_totals(list(
        Appeal.objects.filter(status=Appeal.Status.LIVE)
        .prefetch_related("designations", "suggested_amounts")
        .order_by("-published_at", "-created_at")
    ))


def appeal_public_queryset():
    """Appeals the public may open: live and closed, never drafts."""
    return Appeal.objects.filter(
        status__in=[Appeal.Status.LIVE, Appeal.Status.CLOSED]
    ).select_related("successor").prefetch_related("designations", "suggested_amounts")


def appeal_get_public(slug: str) -> Appeal | None:
    appeal = appeal_public_queryset().filter(slug=slug).first()
    return None if appeal is None else _with_cached_totals([appeal])[0]


def appeal_get_for_preview(slug: str) -> Appeal | None:
    """Any appeal, drafts included, for staff to preview as donors will see it."""
    appeal = Appeal.objects.select_related("successor").prefetch_related(
        "designations", "suggested_amounts").filter(slug=slug).first()
    return None if appeal is None else _with_cached_totals([appeal])[0]


def designation_totals(appeal: Appeal) -> list[dict]:
    """Raised and gifts per designation (None: where most needed), by the database."""
    counted = Q(status__in=COUNTED)
    return list(
        appeal.donations.filter(counted)
        .values("designation__code", "designation__name")
        .annotate(
            raised=Sum(Greatest(F("gift_amount") - F("refunded_amount"), Value(0))),
            gifts=Count("id"),
        )
        .order_by("designation__name")
    )


def appeal_successor_public(appeal: Appeal) -> Appeal | None:
    """Where a closed appeal sends its readers: its successor, or if that has closed too, the
    first live appeal down the line of successors (None: no live one)."""
    if appeal.status != Appeal.Status.CLOSED:
        return None
    step, seen = appeal.successor, {appeal.pk}
    # Successors are checked never to loop (Appeal.validate_successor); `seen` guards anyway.
    while step is not None and step.pk not in seen:
        if step.status == Appeal.Status.LIVE:
            return step
        if step.status != Appeal.Status.CLOSED:
            return None
        seen.add(step.pk)
        step = step.successor
    return None
