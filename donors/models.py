"""What the donor's own page records: the sign-in links emailed, the donor's answers about
news from the charity, and Gift Aid cancellations (docs/donor-page.md).

A donor has no account: they are their email address (any case), as their gifts record it.
"""

from django.db import models


class SignInLink(models.Model):
    """A sign-in link emailed to a donor: single-use, short-lived. Only a hash of its token is
    kept (sha256): whoever reads this table cannot sign in with what is in it."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"sign-in link for {self.email} ({self.created_at:%Y-%m-%d %H:%M})"


class NewsConsent(models.Model):
    """Append-only: each answer a donor gave about news from the charity, with the wording
    they were shown and when. Their current answer is the latest row."""

    email = models.EmailField(db_index=True)
    consented = models.BooleanField()
    wording_version = models.CharField(max_length=20)
    wording = models.TextField()
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=20, default="donor_page")

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return f"{self.email}: {'yes' if self.consented else 'no'} ({self.recorded_at:%Y-%m-%d})"


class GiftAidCancellation(models.Model):
    """A donor cancelled their Gift Aid declaration, from then on (HMRC: a cancellation
    affects future donations only; gifts already made stay claimable)."""

    email = models.EmailField(db_index=True)
    cancelled_at = models.DateTimeField(db_index=True)
    # The monthly gifts whose later months are no longer Gift Aided (their ids, as text).
    regular_gifts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-cancelled_at", "-id"]

    def __str__(self):
        return f"{self.email} cancelled Gift Aid ({self.cancelled_at:%Y-%m-%d %H:%M})"
