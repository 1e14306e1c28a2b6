import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.timezone import localtime

from appeals.models import Appeal, Designation
from core.money import CURRENCY_CHOICES, format_money
from donations.defence_models import (  # noqa: F401  (named here too)
    BlockedAttempt,
    DefenceChange,
    DefenceState,
)
from donations.gifts import (  # noqa: F401  (named here too)
    DonorDetails,
    RegularGift,
    RegularGiftEvent,
    RegularGiftNotice,
)


class Donation(DonorDetails):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        DISPUTED = "disputed", _("Disputed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="donations")
    designation = models.ForeignKey(
        Designation, on_delete=models.PROTECT, null=True, blank=True, related_name="donations",
        help_text="Empty: where most needed.",
    )
    # Money, in minor units. `amount` is what the card is charged; `gift_amount` what was
    # given (they differ when the donor covers the fee).
    amount = models.BigIntegerField()
    gift_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    cover_fees = models.BooleanField(default=False)
    fee = models.BigIntegerField(null=True, blank=True, help_text="From Stripe's balance transaction.")
    net = models.BigIntegerField(null=True, blank=True)
    refunded_amount = models.BigIntegerField(default=0)


    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    ref = models.CharField(max_length=500, blank=True, help_text="The article that sent the donor.")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_customer = models.CharField(max_length=255, blank=True)
    stripe_setup_intent = models.CharField(max_length=255, blank=True)
    stripe_charge = models.CharField(max_length=255, blank=True, db_index=True)
    failure_message = models.CharField(max_length=300, blank=True)
    # The card as Stripe's charge names it, for the receipt ("Visa ending 4242"); blank where
    # Stripe gives none. Never more than the brand and the last four digits.
    card_brand = models.CharField(max_length=40, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    # A month of a monthly gift (null: a one-off gift), and the Stripe invoice that collected
    # it: unique, so one invoice can never make two donations, however often it is reported.
    regular_gift = models.ForeignKey(
        RegularGift, on_delete=models.PROTECT, null=True, blank=True, related_name="payments",
    )
    stripe_invoice = models.CharField(max_length=255, null=True, blank=True, unique=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # A payment in progress (donations/services/pay.py, "claims"): who holds it and
    # until when. Stripe is called with no transaction open; a double click finds the claim.
    payment_claim = models.CharField(max_length=32, blank=True)
    payment_claim_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("refund_donation", "Can refund a donation through Stripe"),
            ("resend_receipt", "Can email a donation's receipt again"),
            # "Reconcile now" asks Stripe about every pending gift: staff need this too.
            ("reconcile_stripe", "Can reconcile pending donations with Stripe now"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="donation_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(gift_amount__gt=0) & models.Q(gift_amount__lte=models.F("amount")),
                name="donation_gift_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0), name="donation_refund_not_negative"
            ),
        ]

    def __str__(self):
        # As staff read it in the admin's titles and links: "£25.59 to Emergency Appeal —
        # Partially refunded".
        return f"{self.amount_display} to {self.appeal} — {self.get_status_display()}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def gift_display(self) -> str:
        return format_money(self.gift_amount, self.currency)

    @property
    def donor_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def frequency(self) -> str:
        """`monthly` for a month of a regular gift, else `once`."""
        return RegularGift.Frequency.MONTHLY if self.regular_gift_id else RegularGift.Frequency.ONCE


class PaymentAttempt(models.Model):
    """Every PaymentIntent made for a donation: a declined card's retry gets a new one."""

    payment_intent = models.CharField(max_length=255, primary_key=True)
    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="attempts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.payment_intent


class GiftAidDeclaration(models.Model):
    """The donor's declaration, as shown and when: HMRC's audit trail for the claim."""

    class Scope(models.TextChoices):
        THIS_GIFT = "this", "This donation"
        PAST_AND_FUTURE = "all", "This, past four years' and future donations"

    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="declaration")
    wording_version = models.CharField(max_length=20)
    wording = models.TextField()
    scope = models.CharField(max_length=4, choices=Scope.choices, default=Scope.THIS_GIFT)
    declared_at = models.DateTimeField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    address_line1 = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"Gift Aid declaration by {self.first_name} {self.last_name}, {self.postcode}"


class DonationEvent(models.Model):
    """Append-only history of everything that happened to a donation."""

    class Source(models.TextChoices):
        API = "api", "API"
        BROWSER = "browser", "Donor's browser"
        WEBHOOK = "webhook", "Stripe webhook"
        RECONCILE = "reconcile", "Reconciliation"
        ADMIN = "admin", "Admin"
        SYSTEM = "system", "System"

    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    stripe_event = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    # Keys of `data` that hold money, in the donation's minor units.
    AMOUNT_KEYS = ("amount", "refunded_before", "refunded_after")

    def __str__(self):
        # A history row as the donation's page lists it: "Status pending → succeeded,
        # 7 Dec 2026 13:05".
        what = self.kind.replace("_", " ").capitalize()
        if self.to_status:
            what += f" {self.from_status or '—'} → {self.to_status}"
        if self.created_at is None:
            return what
        return f"{what}, {localtime(self.created_at):%-d %b %Y %H:%M}"

    @property
    def data_display(self) -> str:
        """`data` for people: amounts in major units of the donation's currency."""
        return ", ".join(
            f"{key.replace('_', ' ')}: "
            f"{format_money(value, self.donation.currency) if key in self.AMOUNT_KEYS and isinstance(value, int) else value}"
            for key, value in self.data.items())


class Refund(models.Model):
    """A refund made through Lifeline (the admin) or seen on a charge at Stripe."""

    stripe_id = models.CharField(max_length=255, unique=True)
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=40)
    reason = models.CharField(max_length=300, blank=True)
    # The admin form's key: a double-submitted form finds the first refund, never a second.
    request_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"{format_money(self.amount, self.donation.currency)} ({self.status})"


class Dispute(models.Model):
    stripe_id = models.CharField(max_length=255, primary_key=True)
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="disputes")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40)
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Dispute of {format_money(self.amount, self.donation.currency)} ({self.status})"


class StripeEvent(models.Model):
    """One row per Stripe event id applied: the unique key makes a redelivery a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    # The event's `api_version` ("" when Stripe gave none): the payments health page says
    # when Stripe's endpoint sends another version than the one our calls pin.
    api_version = models.CharField(max_length=40, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.type} ({self.event_id})"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: the body it came with and the answer it got.

    A key is its client's own (as Stripe's are its account's): `client` is a keyed hash of the
    client's address, so another client choosing the same key string gets its own donation.
    """

    client = models.CharField(max_length=64, default="")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, null=True)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A concurrent retry's insert waits on this index for the first to commit.
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client"),
        ]


class ReceiptSequence(models.Model):
    """The last receipt number issued in a calendar year (in the charity's time zone).

    Locked with select_for_update in the transaction that issues a receipt, so numbers are
    gapless: a rolled-back transaction rolls the counter back too.
    """

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)


class Receipt(models.Model):
    """Exactly one per succeeded donation (the one-to-one key enforces it). Never deleted:
    refunds and disputes show through the donation's status and refunded amount."""

    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="receipt")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    issued_at = models.DateTimeField()
    # The email: what must be sent is recorded here first, so an outage delays it only.
    email_queued_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveIntegerField(default=0)
    email_last_error = models.CharField(max_length=300, blank=True)
    # One retry chain per receipt: the chain's token, and when its next attempt is due (the
    # sweeper starts a new chain only once that is long past). While a sender talks to the
    # mail server it holds a lease (`email_claim` until `email_sending_until`, renewed as it
    # goes), committed before the first byte is sent: no transaction is open meanwhile.
    email_chain = models.CharField(max_length=32, blank=True)
    email_retry_at = models.DateTimeField(null=True, blank=True)
    email_claim = models.CharField(max_length=32, blank=True)
    email_sending_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_number_per_year"),
        ]
        indexes = [  # the sweeper's query, every 15 s: only unsent receipts are in it
            models.Index(fields=["email_queued_at"], condition=models.Q(email_sent_at=None),
                         name="receipt_unsent"),
        ]

    def __str__(self):
        return self.number


class LimitsCacheEntry(models.Model):
    """The table behind the `limits` cache when no Redis is configured (config/cache.py):
    Django's DatabaseCache columns, made by a migration so a fresh machine has it, and
    emptied by `flush` like any table."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "lifeline_limits_cache"
        verbose_name = "limits cache entry"
        verbose_name_plural = "limits cache entries"


class ReconcileCursor(models.Model):
    """How far reconciliation with Stripe has got, per list it walks
    (donations/services/reconciliation.py):
    `refunds` (refunds made at Stripe up to then were applied), `pending` (the last pending
    gift read in the rotation through them)."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
