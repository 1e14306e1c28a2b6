"""factory_boy factories for rows the tests set up directly (totals, drafts, other appeals)."""

import factory
from django.utils import timezone

from appeals.models import Appeal, Designation, SuggestedAmount
from donations.models import Donation


class AppealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appeal
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"test-appeal-{n}")
    title = factory.Sequence(lambda n: f"Test Appeal {n}")
    summary = "A test appeal."
    story = "Why this appeal matters."
    currency = "GBP"
    goal_amount = 1_000_000
    status = Appeal.Status.LIVE
    published_at = factory.LazyAttribute(
        lambda a: None if a.status == Appeal.Status.DRAFT else timezone.now()
    )


class DesignationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Designation

    appeal = factory.SubFactory(AppealFactory)
    code = factory.Sequence(lambda n: f"fund{n}")
    name = factory.LazyAttribute(lambda d: d.code.title())


class SuggestedAmountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuggestedAmount

    appeal = factory.SubFactory(AppealFactory)
    amount = factory.Sequence(lambda n: 1000 * (n + 1))


class DonationFactory(factory.django.DjangoModelFactory):
    """A donation row as the services would leave it; `gift_amount` defaults to `amount`."""

    class Meta:
        model = Donation

    appeal = factory.SubFactory(AppealFactory)
    amount = 2500
    gift_amount = factory.LazyAttribute(lambda d: d.amount)
    currency = factory.LazyAttribute(lambda d: d.appeal.currency)
    email = factory.Sequence(lambda n: f"donor{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    status = Donation.Status.SUCCEEDED
