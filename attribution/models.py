from django.db import models

from appeals.models import Appeal


class PageView(models.Model):
    """Views of an appeal's page or embed on one day from one attribution, counted up.

    One row per (appeal, kind, day, attribution), not one per view: the report sums a few
    rows per article, and no reader is identified (no IP, no cookie id, no user agent).
    """

    class Kind(models.TextChoices):
        PAGE = "page", "Appeal page"
        EMBED = "embed", "Embed widget"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="page_views")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    day = models.DateField(help_text="In the charity's time zone.")
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    ref = models.CharField(max_length=500, blank=True)
    # sha1 of the five attribution values: a short unique key (PostgreSQL's index rows are
    # limited, and ref alone may be 500 characters).
    key = models.CharField(max_length=40)
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "kind", "day", "key"], name="pageview_one_row_per_day"
            )
        ]
        # A publisher's feed reads its own source's rows, over a range of days.
        indexes = [models.Index(fields=["utm_source", "day"], name="pageview_source_day")]

    def __str__(self):
        return f"{self.views} {self.kind} views of {self.appeal} on {self.day}"


class Publisher(models.Model):
    """A publication that sends readers (its articles' `utm_source`), with a read-only feed of
    what its articles raised (`GET /api/v1/publishers/<source>/stats/`, docs/publishers.md)."""

    source = models.CharField(max_length=200, unique=True,
                              help_text="The utm_source its links and embeds carry.")
    name = models.CharField(max_length=200, blank=True,
                            help_text="As readers know it; the source when blank.")
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. news.example")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.source


class PublisherToken(models.Model):
    """The one read-only key of a publisher's feed. Only its SHA-256 is kept: the key itself
    is printed once by `manage.py publisher_token` and cannot be read back."""

    publisher = models.OneToOneField(Publisher, on_delete=models.CASCADE, related_name="token")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Token of {self.publisher.source} (made {self.created_at:%Y-%m-%d %H:%M})"
