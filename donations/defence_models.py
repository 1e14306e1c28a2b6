"""The card-testing defence's records (docs/card-testing.md): attempts refused, the one row
of its state (attack mode), and who changed it. Named in donations.models too."""

from django.conf import settings
from django.db import models


class BlockedAttempt(models.Model):
    """An attempt the card-testing defence refused (see donations/services/defence.py)."""

    class Reason(models.TextChoices):
        HONEYPOT = "honeypot", "Hidden field filled (a bot)"
        VELOCITY_CLIENT = "velocity_client", "Too many new gifts from one client"
        DECLINES_CLIENT = "declines_client", "Too many declines from one client"
        DECLINES_EMAIL = "declines_email", "Too many declines for one email"
        DECLINES_CARD = "declines_card", "Too many declines of one card"
        CARDS_PER_GIFT = "cards_per_gift", "Too many cards tried on one gift"
        MINIMUM_AMOUNT = "minimum_amount", "Below the attack-mode minimum"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    ip_address = models.CharField(max_length=45, blank=True)
    email = models.CharField(max_length=254, blank=True)
    card_fingerprint = models.CharField(max_length=64, blank=True)
    appeal = models.CharField(max_length=80, blank=True)
    amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    donation_id = models.UUIDField(null=True, blank=True)
    attack_mode = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.ip_address})"


class DefenceState(models.Model):
    """The one row that says whether attack mode is on (an admin's switch or the threshold's).

    Its primary key is always SINGLETON_PK (a check constraint holds it there), so concurrent
    first uses all reach the same row: get_or_create's insert succeeds once, the others read.
    Change it through donations.services.defence.switch(), which records a DefenceChange.
    """

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    attack_mode = models.BooleanField(
        default=False, help_text="Tighter limits and a higher minimum gift for everyone."
    )
    until = models.DateTimeField(
        null=True, blank=True, help_text="Switch off by itself then (empty: until switched off)."
    )
    reason = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "card-testing defence"
        verbose_name_plural = "card-testing defence"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="defencestate_one_row"),
        ]

    def __str__(self):
        return "Attack mode on" if self.attack_mode_active else "Normal"

    @property
    def attack_mode_active(self) -> bool:
        from django.utils import timezone

        return self.attack_mode and (self.until is None or self.until > timezone.now())

    @classmethod
    def current(cls) -> "DefenceState":
        return cls.objects.get_or_create(pk=cls.SINGLETON_PK)[0]


class DefenceChange(models.Model):
    """Append-only: each time attack mode was switched, by whom (no one: the threshold)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    attack_mode = models.BooleanField()
    until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"attack mode {'on' if self.attack_mode else 'off'} ({self.created_at:%Y-%m-%d %H:%M})"
