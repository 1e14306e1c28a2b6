"""Money: integer minor units plus an ISO 4217 code, converted in this one place.

The API and exports exchange decimal strings in major units ("25.00" GBP, "3000" JPY)
(`to_minor`, `to_major_str`); what people type is read by `parse_amount`, and amounts are
written for people by `format_money` alone, in the reader's language (CLDR through Babel).
"""

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    format_currency,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

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
        raise MoneyError(_("Unsupported currency %(currency)s.") % {"currency": repr(currency)}) from None


def to_minor(value, currency: str) -> int:
    """Major units (Decimal, str or int) to integer minor units; refuses excess precision."""
    if isinstance(value, bool):
        raise MoneyError(_("Enter an amount, like %(example)s.") % {"example": "25.00"})
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise MoneyError(_("Enter an amount, like %(example)s.") % {"example": "25.00"}) from None
    if not amount.is_finite() or amount.adjusted() > MAX_DIGITS:
        # Also refuses "1e999999": scaling it overflows, and int() of it takes seconds.
        raise MoneyError(_("Enter an amount, like %(example)s.") % {"example": "25.00"})
    try:
        scaled = amount.scaleb(exponent(currency))
        whole = scaled.to_integral_value()
    except ArithmeticError:  # decimal.Overflow, InvalidOperation…
        raise MoneyError(_("Enter an amount, like %(example)s.") % {"example": "25.00"}) from None
    if scaled != whole:
        raise _too_precise(currency, exponent(currency))
    return int(scaled)


# What a person types: at most this many characters, and this many digits before the point.
MAX_TYPED = 40
SPACES = " \u00a0\u202f\u2009"  # a space, no-break, narrow no-break, thin: all typed as one
SIGNS = "+-\u2212\u2013\ufe63\uff0b\uff0d"  # plus, hyphen-minus, minus, en dash, small/wide


@lru_cache(maxsize=256)
def _number_symbols(language: str) -> tuple[str, str, int, int]:
    """The decimal and grouping symbols and group sizes of a language in Latin digits (CLDR).

    Unknown or empty languages read as English. Locales whose own digits are not 0-9 (ar-EG,
    fa) still give their Latin-digit symbols: only 0-9 are accepted anywhere.
    """
    try:
        locale = Locale.parse((language or "en").replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        locale = Locale.parse("en")
    decimal = get_decimal_symbol(locale, numbering_system="latn")
    group = get_group_symbol(locale, numbering_system="latn")
    primary, secondary = locale.decimal_formats[None].grouping
    return decimal, group, primary, secondary


@lru_cache(maxsize=256)
def _currency_marks(currency: str, language: str) -> tuple[str, ...]:
    """The currency's own signs a person may put before or after the amount, longest first."""
    marks = {currency, currency.lower(), SYMBOL[currency]}
    if currency == "JPY":
        marks.add("\uffe5")  # the full-width yen sign Japanese keyboards type
    for where in ("en", language):
        try:
            marks.add(get_currency_symbol(currency, (where or "en").replace("-", "_")))
        except (ValueError, TypeError, UnknownLocaleError):
            pass
    return tuple(sorted((m for m in marks if m and not any(c.isdigit() for c in m)),
                        key=len, reverse=True))


def _example(places: int, decimal: str, group: str) -> tuple[str, str]:
    """25.00 and 1,250.00 as the language writes them, for the error messages."""
    cents = decimal + "0" * places if places else ""
    return f"25{cents}", f"1{' ' if group in SPACES else group}250{cents}"


def _too_precise(currency: str, places: int) -> MoneyError:
    if places == 0:
        return MoneyError(_("%(currency)s amounts have no decimal places.")
                          % {"currency": currency})
    return MoneyError(_("%(currency)s amounts have at most %(places)d decimal places.")
                      % {"currency": currency, "places": places})


def parse_amount(text, currency: str, language: str = "en") -> int:
    """An amount a person typed, read in the page's language, to integer minor units.

    Accepted: ASCII digits 0-9; the language's decimal symbol followed by at most the
    currency's decimal places; the language's grouping symbol only between groups of the
    right size (1,250.00 in English, 1.250,00 in German, 1 250,00 in French); the currency's
    own sign or code before or after. The machine form ("25.00", "3000": a dot, no grouping,
    at most the currency's places) is always accepted, so API clients work in any language.
    Refused, never guessed: other scripts' digits, signs, exponents, other currencies' signs,
    misplaced grouping, and a text that the machine form and the language read as two
    different amounts. Zero is returned as 0: the caller decides the smallest amount.

    :raises MoneyError: with a message for the person who typed it.
    """
    places = exponent(currency)
    decimal, group, primary, secondary = _number_symbols(language)
    small, big = _example(places, decimal, group)
    invalid = _("Enter an amount, like %(example)s.") % {"example": small}
    if not isinstance(text, str) or len(text) > MAX_TYPED:
        raise MoneyError(invalid)
    text = _latin_digits(text.strip(), language)
    for mark in _currency_marks(currency, language):
        if text.startswith(mark) or text.endswith(mark):
            text = (text[len(mark):] if text.startswith(mark) else text[: -len(mark)]).strip()
            break
    if not text:
        raise MoneyError(_("Enter an amount."))
    if text[0] in SIGNS:
        raise MoneyError(_("Enter the amount without a + sign.") if text[0] in "+\uff0b"
                         else _("Enter an amount greater than zero."))
    if any(ch.isdigit() and not "0" <= ch <= "9" for ch in text):
        raise MoneyError(_("Type the amount in the digits 0-9, like %(example)s.")
                         % {"example": small})

    readings, too_precise = set(), False
    machine = re.fullmatch(r"([0-9]+)(?:\.([0-9]+))?", text)
    local = _read_in_language(text, decimal, group, primary, secondary)
    for whole, fraction in filter(None, (machine and machine.groups(""), local)):
        if len(fraction) <= places:
            readings.add(_minor(whole, fraction, places))
        else:
            too_precise = True
    if len(readings) > 1:
        raise MoneyError(_("This amount could be read two ways. Write it like %(example)s.")
                         % {"example": big})
    if readings:
        return readings.pop()
    if too_precise:
        raise _too_precise(currency, places)
    grouped = group in text or (group in SPACES and any(c in SPACES for c in text))
    if grouped and all(c.isdigit() or c in decimal + group + SPACES + ".'" for c in text):
        if group in SPACES:
            hint = _("Use a space only between thousands, as in %(example)s.")
        else:
            hint = _('Use "%(group)s" only between thousands, as in %(example)s.')
        raise MoneyError(f"{invalid} " + hint % {"group": group, "example": big})
    raise MoneyError(invalid)


def request_language(request) -> str:
    """The language of the page a request comes from, to read its typed amounts in.

    LocaleMiddleware's choice when it runs; otherwise Django's own rules for it (the language
    cookie, then Accept-Language, among settings.LANGUAGES), else LANGUAGE_CODE.
    """
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)


def _read_in_language(text: str, decimal: str, group: str, primary: int, secondary: int):
    """(whole digits, fraction digits) of `text` in the language's symbols, or None."""
    if group in SPACES:
        text = re.sub(f"[{SPACES}]", group, text)
    elif group == "\u2019":  # Swiss 1’250: people type an apostrophe
        text = text.replace("'", group)
    d, g = re.escape(decimal), re.escape(group)
    pattern = (rf"([0-9]+|[1-9][0-9]{{0,{secondary - 1}}}(?:{g}[0-9]{{{secondary}}})*"
               rf"{g}[0-9]{{{primary}}})(?:{d}([0-9]+))?")
    match = re.fullmatch(pattern, text)
    if match is None:
        return None
    return match[1].replace(group, ""), match[2] or ""


# Arabic-Indic and Eastern Arabic-Indic digits, and the Arabic decimal and thousands marks:
# what an Arabic keyboard types. Read as 0-9 . , on an Arabic page only (docs/typed-amounts.md).
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def _latin_digits(text: str, language: str) -> str:
    if (language or "").lower().split("-")[0].split("_")[0] == "ar":
        return text.translate(ARABIC_DIGITS)
    return text


def _minor(whole: str, fraction: str, places: int) -> int:
    if len(whole.lstrip("0")) > MAX_DIGITS:
        raise MoneyError(_("Enter a smaller amount."))
    return int(whole + fraction.ljust(places, "0"))


def to_major_str(minor: int, currency: str) -> str:
    """Integer minor units to a decimal string in major units: 2500 GBP -> "25.00"."""
    places = exponent(currency)
    value = Decimal(int(minor)).scaleb(-places)
    return f"{value:.{places}f}"


def money_locale(language: str | None = None) -> Locale:
    """The CLDR locale amounts are written in for a language (default: the active one).

    Its language alone: "en-gb" writes as English ("¥3,000", "$25.00"; British English's
    CLDR data would write "JP¥", "US$"), "de-at" as German. Unknown languages read as English.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return _locale(language.replace("-", "_").split("_")[0])


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language or "en")
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse("en")


def format_money(minor: int, currency: str, language: str | None = None, *,
                 iso_code: bool = False) -> str:
    """Integer minor units for people, in a language's own format (default: the active one):
    2500 GBP -> "£25.00" and 3000 JPY -> "¥3,000" in English, "25,00 £" in German.

    The one formatter for people: pages (the `money` template filter), emails, the receipt
    PDF and the admin. `iso_code`: the currency's code in place of its symbol ("EUR 25.00"),
    for a font that cannot print the symbol.
    """
    return _format(int(minor), currency, money_locale(language), iso_code)


@lru_cache(maxsize=4096)
def _format(minor: int, currency: str, locale: Locale, iso_code: bool) -> str:
    value = Decimal(minor).scaleb(-exponent(currency))
    pattern = None
    if iso_code:
        # CLDR's currency spacing: a code is set apart from the digits by a no-break space.
        pattern = re.sub("¤(?=[#0])", "¤¤\u00a0",
                         re.sub("(?<=[#0])¤", "\u00a0¤", locale.currency_formats["standard"].pattern))
        pattern = re.sub("(?<!¤)¤(?!¤)", "¤¤", pattern)
    return format_currency(value, currency, format=pattern, locale=locale)


def estimate_fee_to_cover(gift: int, currency: str) -> int:
    """The extra that makes the charity receive about `gift` after Stripe's standard fee.

    gross = (gift + fixed) / (1 - pct), rounded up to the minor unit.
    """
    pct, fixed = FEE_ESTIMATE[currency]
    gross = ((Decimal(gift) + fixed) / (1 - pct)).to_integral_value(rounding=ROUND_CEILING)
    return int(gross) - gift
