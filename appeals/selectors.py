"""Reads about appeals: what donors see, totals computed by the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from appeals.models import Appeal

COUNTED_STATUSES = ("succeeded", "partially_refunded")


@dataclass(frozen=True)
class Totals:
    raised: int
    donors: int


def _counted():
    return Q(donations__status__in=COUNTED_STATUSES)


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


def appeal_list_public():
    return (
        appeals_with_totals(Appeal.objects.filter(status=Appeal.Status.LIVE))
        .prefetch_related("designations", "suggested_amounts")
        .order_by("-published_at", "-created_at")
    )


def appeal_public_queryset():
    """Appeals the public may open: live and closed, never drafts."""
    return appeals_with_totals(
        Appeal.objects.filter(status__in=[Appeal.Status.LIVE, Appeal.Status.CLOSED])
    ).prefetch_related("designations", "suggested_amounts")


def appeal_get_public(slug: str) -> Appeal | None:
    return appeal_public_queryset().filter(slug=slug).first()


def appeal_totals(appeal: Appeal) -> Totals:
    row = appeals_with_totals(Appeal.objects.filter(pk=appeal.pk)).values(
        "raised_amount", "donor_count"
    )[0]
    return Totals(raised=row["raised_amount"], donors=row["donor_count"])
