"""What a one-off gift and a monthly gift share (the donor), and the monthly gift itself.

Kept apart from donations/models.py (which imports both from here, so `donations.models`
names every model of the app) to keep each module to one screen per role (STYLE §1).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    # The language of the page the gift was made on (the API's: the request's): its receipts,
    # a monthly gift's later months' too, are written in it (docs/languages.md).
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")

    class Meta:
        abstract = True


class RegularGift(DonorDetails):
    """A monthly gift: a Stripe Subscription on a Customer. Each month Stripe collects is a
    Donation of its own (`payments`), linked by its invoice (docs/monthly-gifts.md)."""

    class Status(models.TextChoices):
        # Shown to the donor (their page, the card page): in their language.
        INCOMPLETE = "incomplete", _("Incomplete (first month not paid yet)")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due (a month failed)")
        CANCELED = "canceled", _("Canceled")

    class Frequency(models.TextChoices):
        ONCE = "once", "Once"
        MONTHLY = "monthly", "Monthly"

    class By(models.TextChoices):
        """Who ended or changed a monthly gift."""

        DONOR = "donor", "The donor (their page)"
        ADMIN = "admin", "An admin"
        STRIPE = "stripe", "Stripe"

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
    canceled_by = models.CharField(max_length=10, choices=By.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("cancel_regular_gift", "Can cancel a monthly gift (ends it at Stripe)")]
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


class RegularGiftEvent(models.Model):
    """Append-only history of a monthly gift: its status changes, its cancel and amount
    changes, its donor's new card and the emails to its donor, with who asked (each month's
    donation keeps its own DonationEvent history)."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status from Stripe"
        CANCELED = "canceled", "Canceled"
        AMOUNT_CHANGED = "amount_changed", "Amount changed"
        CARD_UPDATED = "card_updated", "Card updated by the donor"
        EMAILED = "emailed", "Donor emailed"

    regular_gift = models.ForeignKey(RegularGift, on_delete=models.CASCADE,
                                     related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    by = models.CharField(max_length=10, choices=RegularGift.By.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    stripe_event = models.CharField(max_length=255, blank=True)
    # For an amount change: {"from": minor units, "to": minor units} (charged each month).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_by_display()}"


class RegularGiftNotice(models.Model):
    """An email to a monthly gift's donor about the gift (a month failed; Stripe gave up),
    at most one per `key`: a failed invoice's id, or the gift's cancellation. However often
    Stripe reports it, the unique key makes it one row, and the row one email."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed", "A month failed"
        CANCELED = "canceled", "Canceled after failed months"

    regular_gift = models.ForeignKey(RegularGift, on_delete=models.CASCADE,
                                     related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=300, unique=True)
    stripe_invoice = models.CharField(max_length=255, blank=True)
    # The month's amount as Stripe billed it (minor units of the gift's currency).
    amount = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The send protocol (regular gift notices' sending): a claim held while the mail server
    # is talked to, no transaction open; `sent_at` once the server accepted it.
    sending_claim = models.CharField(max_length=32, blank=True)
    sending_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"],
                                name="regular_gift_notice_unsent")]
