"""core/postcodes.py: the one UK postcode pattern (Gift Aid declarations, HMRC's schedule)."""

import pytest

from core.postcodes import normalise_uk_postcode


@pytest.mark.parametrize("typed, normalised", [
    ("SW1A 1AA", "SW1A 1AA"),
    ("sw1a1aa", "SW1A 1AA"),
    (" s19   2bd ", "S19 2BD"),
    ("M1 1AE", "M1 1AE"),
    ("B33 8TH", "B33 8TH"),
    ("CR2 6XH", "CR2 6XH"),
    ("DN55 1PT", "DN55 1PT"),
    ("W1A 0AX", "W1A 0AX"),
    ("EC1A 1BB", "EC1A 1BB"),
    ("GIR 0AA", "GIR 0AA"),
    ("gir0aa", "GIR 0AA"),
])
def test_a_uk_postcode_is_written_upper_case_with_one_space(typed, normalised):
    assert normalise_uk_postcode(typed) == normalised


@pytest.mark.parametrize("typed", [
    "", "   ", None, "12345", "SW1A", "1AA", "SW1A 1AAA", "QA1 1AA",  # Q never starts one
    "SW1A 1CA",  # C never ends one
    "75008", "K1A 0B1", "SW1A-1AA",
])
def test_anything_else_is_not_a_uk_postcode(typed):
    assert normalise_uk_postcode(typed) is None
