"""Money: integer minor units plus an ISO 4217 code, converted in this one place.

The API and exports exchange decimal strings in major units ("25.00" GBP, "3000" JPY).
"""

from decimal import ROUND_CEILING, Decimal, InvalidOperation

CURRENCY_EXPONENT = {"GBP": 2, "EUR": 2, "USD": 2, "JPY": 0}
SUPPORTED_CURRENCIES = tuple(CURRENCY_EXPONENT)
CURRENCY_CHOICES = [(c, c) for c in SUPPORTED_CURRENCIES]

# Smallest and largest single gift, in minor units. The minimum is well above Stripe's own
# (GBP 0.30, JPY 50) because card testers probe with tiny amounts.
MIN_AMOUNT = {"GBP": 100, "EUR": 100, "USD": 100, "JPY": 100}
MAX_AMOUNT = {"GBP": 1_000_000, "EUR": 1_000_000, "USD": 1_000_000, "JPY": 1_500_000}

# Stripe's standard card pricing, used only to *estimate* the fee a donor may choose to
# cover (percent as a Decimal, fixed part in minor units). Real fees are read from Stripe's
# balance transaction, never computed.
FEE_ESTIMATE = {
    "GBP": (Decimal("0.015"), 20),
    "EUR": (Decimal("0.015"), 25),
    "USD": (Decimal("0.029"), 30),
    "JPY": (Decimal("0.036"), 0),
}

SYMBOL = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}


# More digits before the decimal point than any gift has (a BigIntegerField holds 18).
MAX_DIGITS = 15


class MoneyError(ValueError):
    """The value is not an amount of this currency."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError:
        raise MoneyError(f"Unsupported currency {currency!r}.") from None


def to_minor(value, currency: str) -> int:
    """Major units (Decimal, str or int) to integer minor units; refuses excess precision."""
    if isinstance(value, bool):
        raise MoneyError("Enter an amount, like 25.00.")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise MoneyError("Enter an amount, like 25.00.") from None
    if not amount.is_finite() or amount.adjusted() > MAX_DIGITS:
        # Also refuses "1e999999": scaling it overflows, and int() of it takes seconds.
        raise MoneyError("Enter an amount, like 25.00.")
    try:
        scaled = amount.scaleb(exponent(currency))
        whole = scaled.to_integral_value()
    except ArithmeticError:  # decimal.Overflow, InvalidOperation…
        raise MoneyError("Enter an amount, like 25.00.") from None
    if scaled != whole:
        places = exponent(currency)
        raise MoneyError(
            f"{currency} amounts have no decimal places."
            if places == 0
            else f"{currency} amounts have at most {places} decimal places."
        )
    return int(scaled)


def to_major_str(minor: int, currency: str) -> str:
    """Integer minor units to a decimal string in major units: 2500 GBP -> "25.00"."""
    places = exponent(currency)
    value = Decimal(int(minor)).scaleb(-places)
    return f"{value:.{places}f}"


def format_money(minor: int, currency: str) -> str:
    """For people: "£25.00", "¥3,000"."""
    places = exponent(currency)
    value = Decimal(int(minor)).scaleb(-places)
    return f"{SYMBOL.get(currency, currency + ' ')}{value:,.{places}f}"


def estimate_fee_to_cover(gift: int, currency: str) -> int:
    """The extra that makes the charity receive about `gift` after Stripe's standard fee.

    gross = (gift + fixed) / (1 - pct), rounded up to the minor unit.
    """
    pct, fixed = FEE_ESTIMATE[currency]
    gross = ((Decimal(gift) + fixed) / (1 - pct)).to_integral_value(rounding=ROUND_CEILING)
    return int(gross) - gift
