"""What a one-off gift and a monthly gift share (the donor), and the monthly gift itself.

Kept apart from donations/models.py (which imports both from here, so `donations.models`
names every model of the app) to keep each module to one screen per role (STYLE §1).
"""

import uuid

from django.db import models

from appeals.models import Appeal, Designation
from core.money import CURRENCY_CHOICES, format_money


class DonorDetails(models.Model):
    """Who gives, as a gift records it: a one-off gift and a monthly gift alike."""

    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    anonymous = models.BooleanField(default=False)
    gift_aid = models.BooleanField(default=False)
    address_line1 = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=10, blank=True)

    class Meta:
        abstract = True


class RegularGift(DonorDetails):
    """A monthly gift: a Stripe Subscription on a Customer. Each month Stripe collects is a
    Donation of its own (`payments`), linked by its invoice (docs/monthly-gifts.md)."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Incomplete (first month not paid yet)"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (a month failed)"
        CANCELED = "canceled", "Canceled"

    class Frequency(models.TextChoices):
        ONCE = "once", "Once"
        MONTHLY = "monthly", "Monthly"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="regular_gifts")
    designation = models.ForeignKey(
        Designation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="regular_gifts", help_text="Empty: where most needed.",
    )
    # Each month, in minor units: `amount` is what the card is charged, `gift_amount` what is
    # given (they differ when the donor covers the fee).
    amount = models.BigIntegerField()
    gift_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    cover_fees = models.BooleanField(default=False)

    # The declaration made with the first month (scope: this and future gifts); each later
    # month's donation records a copy of it, as every Gift Aid gift has its own.
    declaration = models.ForeignKey(
        "GiftAidDeclaration", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INCOMPLETE)
    stripe_customer = models.CharField(max_length=255)
    stripe_subscription = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="regular_gift_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(gift_amount__gt=0) & models.Q(gift_amount__lte=models.F("amount")),
                name="regular_gift_gift_within_amount",
            ),
        ]

    def __str__(self):
        return (f"{format_money(self.amount, self.currency)} a month to {self.appeal} — "
                f"{self.get_status_display()}")
