"""Amounts for people, in each currency's own format (CLDR data through Babel).

The page's JavaScript formats with `Intl.NumberFormat` and the same locale, from the same
CLDR data, so the total on the button matches the amounts the server wrote.
"""

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

from donations.money import exponent

# The locale whose conventions each currency is written in on our (English) pages.
CURRENCY_LOCALE = {"GBP": "en_GB", "EUR": "en_IE", "USD": "en_US", "JPY": "ja_JP"}


def currency_locale(currency: str) -> str:
    return CURRENCY_LOCALE.get(currency, "en_GB")


@lru_cache(maxsize=4096)
def format_amount(minor: int, currency: str) -> str:
    """2500 GBP -> "£25.00", 3000 JPY -> "￥3,000", 2500 EUR -> "€25.00"."""
    value = Decimal(int(minor)).scaleb(-exponent(currency))
    return format_currency(value, currency, locale=currency_locale(currency))
