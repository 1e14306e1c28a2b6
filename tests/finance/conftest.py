"""Finance users and quick rows: receipts made directly, for filter and Gift Aid rule tests
(the money-to-Stripe tests pay through the API and the stand-in instead)."""

import itertools
from datetime import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from donations.models import GiftAidDeclaration, Receipt
from tests.factories import AppealFactory, DonationFactory

_numbers = itertools.count(1)


@pytest.fixture
def finance_user(db):
    user = User.objects.create_user("fiona", "fiona@lifeline.invalid", "pw-fiona-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    return user


@pytest.fixture
def finance_token(finance_user):
    return Token.objects.create(user=finance_user).key


@pytest.fixture
def finance(client, finance_user):
    """Django's test client, logged in as a member of Finance."""
    client.force_login(finance_user)
    return client


@pytest.fixture
def staff(client, db):
    user = User.objects.create_user("sam", "sam@lifeline.invalid", "pw-sam-123", is_staff=True)
    client.force_login(user)
    return client


def local(*args) -> datetime:
    """An aware datetime in the charity's time zone."""
    return timezone.make_aware(datetime(*args))


def receipted(*, issued_at=None, declared=None, **fields):
    """A paid donation with its receipt (and a Gift Aid declaration when `declared` is a dict
    of declaration fields, or True for a valid one)."""
    issued_at = issued_at or timezone.now()
    fields.setdefault("succeeded_at", issued_at)
    if declared:
        fields.setdefault("gift_aid", True)
    if "appeal" not in fields:
        fields["appeal"] = AppealFactory(slug="finance-appeal", currency=fields.get("currency", "GBP"))
    donation = DonationFactory(**fields)
    n = next(_numbers)
    year = timezone.localtime(issued_at).year
    Receipt.objects.create(donation=donation, year=year, sequence=n,
                           number=f"LL-{year}-{n:06d}", issued_at=issued_at)
    if declared:
        data = {"first_name": donation.first_name, "last_name": donation.last_name,
                "address_line1": "12 High Street", "postcode": "s19 2bd"}
        if isinstance(declared, dict):
            data.update(declared)
        GiftAidDeclaration.objects.create(
            donation=donation, wording_version="2025-01", wording="I want to Gift Aid…",
            scope=GiftAidDeclaration.Scope.PAST_AND_FUTURE, declared_at=issued_at, **data,
        )
    return donation
