"""Reads for the donor's own page: a donor is their email address, in any case. Nothing here
writes. Every read is scoped to the email, so a donor sees nothing that is not theirs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from donations.models import Donation, GiftAidDeclaration, Receipt, RegularGift
from donations.states import PAID
from donors.models import GiftAidCancellation, NewsConsent, SignInLink


def token_hash(token: str) -> str:
    """What is stored of a sign-in token: its sha256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def donor_has_given(*, email: str) -> bool:
    """Whether the address made any gift or monthly gift (whatever became of it)."""
    return (Donation.objects.filter(email__iexact=email).exists()
            or RegularGift.objects.filter(email__iexact=email).exists())


def sign_in_link_usable(*, token: str) -> SignInLink | None:
    """The link of that token if it may still sign in (not used, not expired); else None."""
    return SignInLink.objects.filter(
        token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now(),
    ).first()


def donor_gifts(*, email: str) -> QuerySet:
    """The donor's gifts that took money (with their receipts), newest first."""
    return (Donation.objects.filter(email__iexact=email, status__in=PAID)
            .select_related("appeal", "designation", "receipt", "regular_gift")
            .order_by("-succeeded_at", "-created_at"))


def donor_receipt(*, email: str, donation_id) -> Receipt | None:
    """The receipt of one of the donor's gifts; None if the gift is not theirs or has none."""
    return Receipt.objects.select_related("donation", "donation__appeal",
                                          "donation__designation").filter(
        donation_id=donation_id, donation__email__iexact=email).first()


def gift_date(donation: Donation) -> datetime:
    """When a gift was made: its charge's time (Stripe's clock), else when it was recorded."""
    return donation.succeeded_at or donation.created_at


def tax_year_of(moment: datetime) -> int:
    """The UK tax year a moment falls in, named by the year it starts: 6 April 2026 to
    5 April 2027 is 2026. In the charity's time zone."""
    day = timezone.localtime(moment).date()
    return day.year if (day.month, day.day) >= (4, 6) else day.year - 1


def tax_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of tax year `year` as aware datetimes in the charity's time zone."""
    zone = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(date(year, 4, 6), time.min), zone),
            timezone.make_aware(datetime.combine(date(year + 1, 4, 6), time.min), zone))


def donor_tax_years(*, email: str) -> list[int]:
    """The tax years the donor gave in, latest first."""
    return sorted({tax_year_of(gift_date(d)) for d in donor_gifts(email=email)}, reverse=True)


def donor_tax_year_gifts(*, email: str, year: int) -> list[Donation]:
    """The donor's gifts of tax year `year`, oldest first."""
    start, end = tax_year_bounds(year)
    gifts = [d for d in donor_gifts(email=email) if start <= gift_date(d) < end]
    return sorted(gifts, key=gift_date)


def donor_regular_gifts(*, email: str) -> list[RegularGift]:
    """The donor's monthly gifts that started (their first month paid), newest first."""
    return list(RegularGift.objects.filter(email__iexact=email)
                .exclude(status=RegularGift.Status.INCOMPLETE)
                .select_related("appeal", "designation").order_by("-created_at"))


def donor_regular_gift(*, email: str, regular_gift_id) -> RegularGift | None:
    """One of the donor's monthly gifts; None if it is not theirs."""
    return RegularGift.objects.select_related("appeal").filter(
        pk=regular_gift_id, email__iexact=email).first()


@dataclass(frozen=True)
class DeclarationState:
    declaration: GiftAidDeclaration
    cancelled_at: datetime | None  # when the donor cancelled it (None: in force)


def donor_declaration(*, email: str) -> DeclarationState | None:
    """The donor's latest Gift Aid declaration and whether they cancelled it since; None if
    they never made one. A declaration made after a cancellation is in force again."""
    declaration = (GiftAidDeclaration.objects.filter(donation__email__iexact=email)
                   .order_by("-declared_at", "-id").first())
    if declaration is None:
        return None
    cancellation = (GiftAidCancellation.objects.filter(
        email__iexact=email, cancelled_at__gte=declaration.declared_at).first())
    return DeclarationState(declaration, cancellation.cancelled_at if cancellation else None)


def news_consent_current(*, email: str) -> NewsConsent | None:
    """The donor's latest answer about news from the charity (None: never asked here)."""
    return NewsConsent.objects.filter(email__iexact=email).first()

