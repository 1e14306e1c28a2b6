"""donations/money.py: the one place where major-unit decimals become integer minor units."""

import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from donations.money import (
    FEE_ESTIMATE,
    MoneyError,
    estimate_fee_to_cover,
    format_money,
    to_major_str,
    to_minor,
)


@pytest.mark.parametrize("value, currency, minor", [
    ("25.00", "GBP", 2500),
    ("25", "GBP", 2500),
    ("25.5", "GBP", 2550),
    ("25.010", "GBP", 2501),  # a trailing zero is not extra precision
    ("0.01", "GBP", 1),
    (" 10.00 ", "EUR", 1000),
    (Decimal("19.99"), "USD", 1999),
    (25, "GBP", 2500),
    ("3000", "JPY", 3000),
    ("3000.0", "JPY", 3000),
    (3000, "JPY", 3000),
    ("10000.00", "GBP", 1_000_000),
])
def test_to_minor(value, currency, minor):
    result = to_minor(value, currency)
    assert result == minor
    assert type(result) is int


@pytest.mark.parametrize("value, currency, says", [
    ("25.001", "GBP", "at most 2 decimal places"),
    ("0.005", "USD", "at most 2 decimal places"),
    ("3000.5", "JPY", "no decimal places"),
    ("0.1", "JPY", "no decimal places"),
])
def test_to_minor_refuses_excess_precision_rather_than_rounding(value, currency, says):
    with pytest.raises(MoneyError, match=says):
        to_minor(value, currency)


@pytest.mark.parametrize("value", [
    "abc", "", "NaN", "Infinity", "-Infinity", "sNaN", True, False, None, "1e999999999",
])
def test_to_minor_refuses_what_is_not_an_amount(value):
    with pytest.raises(MoneyError):
        to_minor(value, "GBP")


def test_to_minor_refuses_an_absurd_exponent_at_once():
    """Converting 10**999990 to an int takes seconds of CPU: refused before that."""
    started = time.monotonic()
    with pytest.raises(MoneyError):
        to_minor("1e999990", "GBP")
    with pytest.raises(MoneyError):
        to_minor(Decimal("1e999990"), "JPY")
    assert time.monotonic() - started < 0.5


def test_to_minor_refuses_an_unsupported_currency():
    with pytest.raises(MoneyError, match="XYZ"):
        to_minor("25.00", "XYZ")


@pytest.mark.parametrize("minor, currency, text", [
    (2500, "GBP", "25.00"),
    (5, "GBP", "0.05"),
    (0, "GBP", "0.00"),
    (1_000_000, "USD", "10000.00"),  # no thousands separator
    (1999, "EUR", "19.99"),
    (3000, "JPY", "3000"),
    (1, "JPY", "1"),
    (-150, "GBP", "-1.50"),
])
def test_to_major_str(minor, currency, text):
    assert to_major_str(minor, currency) == text


@pytest.mark.parametrize("currency", ["GBP", "EUR", "USD", "JPY"])
def test_to_major_str_and_to_minor_round_trip(currency):
    for minor in (1, 9, 10, 99, 100, 101, 2500, 123456, 1_000_000, 1_500_000):
        assert to_minor(to_major_str(minor, currency), currency) == minor


def test_to_major_str_refuses_an_unsupported_currency():
    with pytest.raises(MoneyError):
        to_major_str(100, "XYZ")


def test_format_money_for_people():
    assert format_money(2500, "GBP") == "£25.00"
    assert format_money(50_000_000, "GBP") == "£500,000.00"
    assert format_money(3000, "JPY") == "¥3,000"


def _stripe_fee(gross: int, currency: str) -> int:
    pct, fixed = FEE_ESTIMATE[currency]
    return int((gross * pct).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + fixed


def test_estimate_fee_to_cover_known_values():
    # (2500 + 20) / 0.985 = 2558.38 -> 2559; (3000 + 0) / 0.964 = 3112.03 -> 3113
    assert estimate_fee_to_cover(2500, "GBP") == 59
    assert estimate_fee_to_cover(3000, "JPY") == 113


@pytest.mark.parametrize("currency", ["GBP", "EUR", "USD", "JPY"])
@pytest.mark.parametrize("gift", [100, 999, 1000, 2500, 5000, 12345, 1_000_000])
def test_covering_the_estimated_fee_leaves_the_charity_the_whole_gift(gift, currency):
    extra = estimate_fee_to_cover(gift, currency)
    gross = gift + extra

    assert type(extra) is int and extra > 0
    assert gross - _stripe_fee(gross, currency) >= gift  # the charity gets the gift…
    assert gross - 2 - _stripe_fee(gross - 2, currency) < gift  # …and the donor no more than needed
