"""The receipt's sender is the charity by name, whatever DEFAULT_FROM_EMAIL gives."""

import pytest

from donations.receipts.documents import sender


@pytest.mark.parametrize("configured, expected", [
    ("receipts@aid.example", "Aid Now <receipts@aid.example>"),
    ("Aid Now Receipts <receipts@aid.example>", "Aid Now Receipts <receipts@aid.example>"),
])
def test_an_address_without_a_name_is_sent_as_the_charity(settings, configured, expected):
    settings.CHARITY_NAME = "Aid Now"
    settings.DEFAULT_FROM_EMAIL = configured
    assert sender() == expected
