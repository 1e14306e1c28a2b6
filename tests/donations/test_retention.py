"""Storage limitation (UK GDPR): `manage.py purge_personal_data`, run daily by the scheduler,
erases donors whose latest gift is past the retention period (HMRC's 6 years after the end of
the accounting period, counted as 7 years from the gift) and old card-testing records."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations import tasks
from donations.models import BlockedAttempt, Donation, DonationEvent, GiftAidDeclaration
from tests.factories import DonationFactory

pytestmark = pytest.mark.django_db


def aged(days: int, **fields) -> Donation:
    gift = DonationFactory(**fields)
    Donation.objects.filter(pk=gift.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days))
    return gift


def blocked(days: int, email: str) -> BlockedAttempt:
    attempt = BlockedAttempt.objects.create(reason=BlockedAttempt.Reason.DECLINES_CLIENT,
                                            email=email, ip_address="203.0.113.9")
    BlockedAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days))
    return attempt


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def donors(demo):
    """Old Ann gave only 8 years ago (with Gift Aid); Ben 8 years ago and again last month;
    Cat last year."""
    ann = aged(8 * 365, appeal=demo, email="ann@example.com", first_name="Ann", gift_aid=True,
               address_line1="1 Old Road", postcode="SW1A 1AA")
    GiftAidDeclaration.objects.create(
        donation=ann, wording_version="2025-01", wording="I want to Gift Aid…",
        declared_at=ann.created_at, first_name="Ann", last_name="Lovelace",
        address_line1="1 Old Road", postcode="SW1A 1AA", ip_address="203.0.113.1")
    ben_old = aged(8 * 365, appeal=demo, email="Ben@example.com", first_name="Ben")
    ben_new = aged(30, appeal=demo, email="ben@example.com", first_name="Ben")
    cat = aged(365, appeal=demo, email="cat@example.com", first_name="Cat")
    return ann, ben_old, ben_new, cat


def test_donors_past_retention_are_erased_and_everyone_else_is_kept(donors):
    ann, ben_old, ben_new, cat = donors
    old_attempt, new_attempt = blocked(120, "x@example.com"), blocked(10, "y@example.com")

    said = purge()

    assert "Erased 1 donor(s) (1 donation(s))" in said
    assert "deleted 1 blocked card-testing attempt(s)" in said
    ann.refresh_from_db()
    assert ann.email.endswith("@erased.invalid") and ann.first_name == ""
    assert (ann.amount, ann.status) == (2500, "succeeded")  # the accounts stay
    declaration = GiftAidDeclaration.objects.get(donation=ann)
    assert (declaration.first_name, declaration.address_line1, declaration.ip_address) == (
        "", "", None)
    assert declaration.wording  # what was declared, with no one attached
    event = DonationEvent.objects.get(donation=ann, kind="personal_data_erased")
    assert "past the retention period" in event.message
    # Ben gave again last month: his old gift is still his (any case of the email), and Cat's.
    for gift, email, name in ((ben_old, "Ben@example.com", "Ben"),
                              (ben_new, "ben@example.com", "Ben"),
                              (cat, "cat@example.com", "Cat")):
        gift.refresh_from_db()
        assert (gift.email, gift.first_name) == (email, name)
    assert list(BlockedAttempt.objects.all()) == [new_attempt]
    assert not BlockedAttempt.objects.filter(pk=old_attempt.pk).exists()
    # Nothing more to do the second time.
    assert "Erased 0 donor(s) (0 donation(s))" in purge()


def test_dry_run_says_what_it_would_do_and_changes_nothing(donors):
    blocked(120, "x@example.com")
    said = purge("--dry-run")
    assert "Would erase 1 donor(s) (1 donation(s))" in said
    assert "would delete 1 blocked card-testing attempt(s)" in said
    assert Donation.objects.filter(email="ann@example.com").exists()
    assert BlockedAttempt.objects.count() == 1
    assert not DonationEvent.objects.filter(kind="personal_data_erased").exists()


def test_the_scheduler_runs_the_purge_daily(donors, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-personal-data"]
    assert entry["task"] == "donations.tasks.purge_personal_data"
    assert entry["schedule"] == 24 * 3600
    tasks.purge_personal_data()  # what the worker runs
    assert not Donation.objects.filter(email="ann@example.com").exists()
