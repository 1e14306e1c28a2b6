"""The finance filters (`from`, `to`, `appeal`), validated once for the API, the exports and
the commands, and turned into a UTC range on the receipts' `issued_at`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from rest_framework import serializers

from appeals.models import Appeal


@dataclass(frozen=True)
class Period:
    """Inclusive local dates in TIME_ZONE; either end may be open."""

    start: date | None = None
    end: date | None = None
    appeal: str = ""

    @property
    def issued_after(self) -> datetime | None:
        """Midnight at the start of `start`, in the charity's time zone."""
        if self.start is None:
            return None
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def issued_before(self) -> datetime | None:
        """Midnight at the start of the day after `end`: exclusive upper bound."""
        if self.end is None:
            return None
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def as_json(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "appeal": self.appeal or None,
        }


class PeriodSerializer(serializers.Serializer):
    """`from`/`to` are ISO dates (YYYY-MM-DD), inclusive, in TIME_ZONE; `appeal` a slug."""

    # `from` is a Python keyword: declared through the fields dict below.
    to = serializers.DateField(required=False, input_formats=["iso-8601"])
    appeal = serializers.SlugField(required=False, allow_blank=True, max_length=80)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, input_formats=["iso-8601"])
        return fields

    def validate_appeal(self, value):
        if value and not Appeal.objects.filter(slug=value).exists():
            raise serializers.ValidationError(f"No appeal has the slug {value!r}.")
        return value

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": ["'to' must be on or after 'from'."]})
        return attrs

    def period(self) -> Period:
        data = self.validated_data
        return Period(start=data.get("from"), end=data.get("to"), appeal=data.get("appeal") or "")


class RequiredPeriodSerializer(PeriodSerializer):
    """For the Gift Aid schedule and reconciliation: a claim is always for a stated period."""

    to = serializers.DateField(required=True, input_formats=["iso-8601"])

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=True, input_formats=["iso-8601"])
        return fields


def parse_period(data, *, required: bool = False) -> Period:
    """Validate query parameters (or command options) into a Period.

    :raises rest_framework.exceptions.ValidationError: DRF's {"field": ["message"]} shape.
    """
    cls = RequiredPeriodSerializer if required else PeriodSerializer
    serializer = cls(data={k: data[k] for k in ("from", "to", "appeal") if k in data})
    serializer.is_valid(raise_exception=True)
    return serializer.period()
