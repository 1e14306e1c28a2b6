"""The finance filters (`from`, `to`, `appeal`), validated once for the API, the exports and
the commands, and turned into a UTC range on the receipts' `issued_at`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

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
        """Midnight at the start of `start`, in the charity's time zone; None (no lower bound)
        when that moment is before anything a datetime can hold (`from=0001-01-01`)."""
        if self.start is None:
            return None
        return _local_midnight(self.start)

    @property
    def issued_before(self) -> datetime | None:
        """Midnight at the start of the day after `end`: exclusive upper bound; None (no upper
        bound) after the last day a date can hold (`to=9999-12-31`)."""
        if self.end is None or self.end == date.max:
            return None
        return _local_midnight(self.end + timedelta(days=1))

    def as_json(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "appeal": self.appeal or None,
        }


def _local_midnight(day: date) -> datetime | None:
    """The start of `day` in TIME_ZONE, or None when it, or the UTC moment the database
    compares, falls outside the years 1 to 9999 (only the first and last days can)."""
    try:
        moment = timezone.make_aware(datetime.combine(day, time.min))
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDateField(serializers.DateField):
    """YYYY-MM-DD in ASCII digits only. Python's `date.fromisoformat` (which DRF's
    "iso-8601" uses) also takes `20260701`, week dates (`2026-W27-3`) and other scripts'
    digits: none is what SPEC documents, so each gets the same 400 as any bad date."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class PeriodSerializer(serializers.Serializer):
    """`from`/`to` are ISO dates (YYYY-MM-DD), inclusive, in TIME_ZONE; `appeal` a slug."""

    # `from` is a Python keyword: declared through the fields dict below.
    to = IsoDateField(required=False)
    appeal = serializers.SlugField(required=False, allow_blank=True, max_length=80)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = IsoDateField(required=False)
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

    to = IsoDateField(required=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = IsoDateField(required=True)
        return fields


def parse_period(data, *, required: bool = False) -> Period:
    """Validate query parameters (or command options) into a Period.

    :raises rest_framework.exceptions.ValidationError: DRF's {"field": ["message"]} shape.
    """
    cls = RequiredPeriodSerializer if required else PeriodSerializer
    serializer = cls(data={k: data[k] for k in ("from", "to", "appeal") if k in data})
    serializer.is_valid(raise_exception=True)
    return serializer.period()
