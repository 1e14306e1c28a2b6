"""Finance's own records: who exported what, and which Gift Aid was claimed from HMRC.

Donations, declarations, disputes and receipts stay in `donations`; finance only reads them.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime

from core.money import format_money
from donations.models import Donation


class ExportLog(models.Model):
    """One row per export or finance listing: who, when, with which filters (append-only)."""

    class Kind(models.TextChoices):
        RECEIPTS_JSON = "receipts.json", "Receipts (API list)"
        RECEIPTS_CSV = "receipts.csv", "Receipts CSV"
        RECEIPTS_XLSX = "receipts.xlsx", "Receipts XLSX"
        GIFT_AID_CSV = "gift-aid.csv", "Gift Aid schedule CSV"
        GIFT_AID_ADJUSTMENTS_CSV = "gift-aid-adjustments.csv", "Gift Aid over-claims CSV"
        GIFT_AID_CLAIM = "gift-aid-claim", "Gift Aid claim recorded"
        RECONCILIATION = "reconciliation", "Reconciliation with Stripe"

    class Source(models.TextChoices):
        WEB = "web", "Web / API"
        COMMAND = "command", "Management command"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        help_text="Empty for a management command (see `actor`).",
    )
    actor = models.CharField(max_length=150, help_text="Username, or the OS user of a command.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    filters = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty until a streamed export has finished."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.actor} at {localtime(self.at):%Y-%m-%d %H:%M}"


class GiftAidClaim(models.Model):
    """A claim sent to HMRC: the donations and amounts in its schedule, frozen.

    Recording a claim freezes which gifts were claimed, so that a later refund or lost
    dispute shows as an over-claim adjustment for the next claim, and a claimed gift is never
    put in a second schedule.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    period_from = models.DateField()
    period_to = models.DateField()
    appeal_slug = models.CharField(max_length=80, blank=True)
    total = models.BigIntegerField(help_text="Donations claimed, in pence.")
    adjustment_total = models.BigIntegerField(
        default=0, help_text="Donations over-claimed in earlier claims, reported with this one "
                             "(pence of donations, not of tax).",
    )
    reference = models.CharField(max_length=100, blank=True, help_text="HMRC's reference, if any.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Gift Aid claim {self.pk} ({self.period_from} to {self.period_to})"


class GiftAidClaimLine(models.Model):
    """One donation in a claim, with the amount claimed on it (pence)."""

    claim = models.ForeignKey(GiftAidClaim, on_delete=models.PROTECT, related_name="lines")
    donation = models.OneToOneField(
        Donation, on_delete=models.PROTECT, related_name="gift_aid_claim_line",
        help_text="A donation is claimed once.",
    )
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{format_money(self.amount, 'GBP')} claimed on {self.donation}"


class GiftAidAdjustment(models.Model):
    """Part of an earlier claim given back: reported as over-claimed with `claim`.

    A line's adjustments form a chain: each reports the pence from `reported_before` (what
    the line's earlier adjustments had reported when it was recorded) to `reported_before +
    amount`. The unique (line, reported_before) lets one over-claim be reported once,
    whatever the concurrency: two claims that read the same earlier adjustments write the
    same `reported_before`, and the second is refused (the service also locks the lines, so
    the second normally waits and then finds nothing left to report).
    """

    line = models.ForeignKey(GiftAidClaimLine, on_delete=models.PROTECT, related_name="adjustments")
    claim = models.ForeignKey(GiftAidClaim, on_delete=models.PROTECT, related_name="adjustments")
    amount = models.BigIntegerField(help_text="Donation pence over-claimed.")
    reported_before = models.BigIntegerField(
        default=0, help_text="Pence of this line reported as over-claimed by earlier adjustments.",
    )
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "reported_before"],
                                    name="giftaid_adjustment_once_per_over_claim"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="giftaid_adjustment_amount_positive"),
            models.CheckConstraint(condition=models.Q(reported_before__gte=0),
                                   name="giftaid_adjustment_reported_before_not_negative"),
        ]

    def __str__(self):
        return f"{format_money(self.amount, 'GBP')} over-claimed ({self.reason})"


class GiftAidReview(Donation):
    """Gift Aid donations as finance reviews them: claimable or not, and why (admin only)."""

    class Meta:
        proxy = True
        verbose_name = "Gift Aid check"
        verbose_name_plural = "Gift Aid checks"
