from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse

from core.money import CURRENCY_CHOICES, format_money


class Appeal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, help_text="One or two sentences, shown in lists.")
    story = models.TextField(help_text="The appeal's story. Blank lines separate paragraphs.")
    image = models.ImageField(upload_to="appeals/", blank=True)
    image_alt = models.CharField(max_length=200, blank=True, help_text="Describe the image.")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="GBP")
    goal_amount = models.BigIntegerField(
        validators=[MinValueValidator(1)], help_text="In minor units (pence, cents, yen)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors",
        help_text="Once this appeal is closed, its page and widget send readers on to this "
                  "live appeal, with the article's utm_*/ref parameters.",
    )

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(goal_amount__gt=0), name="appeal_goal_positive"),
            models.CheckConstraint(
                condition=models.Q(currency__in=["GBP", "EUR", "USD", "JPY"]),
                name="appeal_currency_supported",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        self.validate_successor()

    def validate_successor(self) -> None:
        """A successor is another appeal, live when chosen, and following successors from it
        never comes back here.

        :raises ValidationError: on `successor`.
        """
        if self.successor_id is None:
            return
        if self.pk is not None and self.successor_id == self.pk:
            raise ValidationError({"successor": "An appeal cannot be its own successor."})
        chosen_before = self.pk is not None and Appeal.objects.filter(
            pk=self.pk, successor_id=self.successor_id).exists()
        if not chosen_before and self.successor.status != self.Status.LIVE:
            raise ValidationError(
                {"successor": "Choose a live appeal: readers are sent on to give to it."})
        seen = {self.pk}
        step = self.successor
        while step is not None:
            if step.pk in seen:
                raise ValidationError({"successor": (
                    f"{self.successor} already leads back to this appeal through its "
                    "successors: readers would go round in a circle.")})
            seen.add(step.pk)
            step = step.successor

    def get_absolute_url(self):
        return reverse("pages:appeal", kwargs={"slug": self.slug})

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def goal_display(self) -> str:
        return format_money(self.goal_amount, self.currency)


class Designation(models.Model):
    """A fund within an appeal that a donor may choose (food, medicine…)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="designations")
    code = models.CharField(
        max_length=40, validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", "Lower-case code.")]
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "code"], name="designation_code_per_appeal")
        ]

    def __str__(self):
        return self.name


class SuggestedAmount(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="suggested_amounts")
    amount = models.BigIntegerField(help_text="In minor units.")
    impact = models.CharField(max_length=120, blank=True, help_text='e.g. "feeds a family for a week"')
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "amount"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="suggested_amount_positive"),
            models.UniqueConstraint(fields=["appeal", "amount"], name="suggested_amount_unique"),
        ]

    def __str__(self):
        return format_money(self.amount, self.appeal.currency)

    @property
    def display(self) -> str:
        return format_money(self.amount, self.appeal.currency)
