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

    def __str__(self):
        return f"{self.views} {self.kind} views of {self.appeal} on {self.day}"
