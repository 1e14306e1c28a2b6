"""Cell rules shared by every export: formula neutralisation and HMRC's schedule formats."""

from __future__ import annotations

import re

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will show, never run: a leading ' before a formula prefix.

    Applied to every *text* cell of the CSV and XLSX exports (SPEC "Receipts"). Amounts are
    not text cells: they are produced by `to_major_str` from integers, never from user input.
    """
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# --- HMRC Charities Online schedule (DOMAIN.md "cell rules") ------------------------------

HMRC_NAME_MAX = 35
HMRC_TITLE_MAX = 4

# UK postcode, after normalising to upper case with one space before the inward code.
# The outward code forms A9, A99, AA9, AA99, A9A, AA9A, and GIR 0AA (gov.uk BS 7666 pattern,
# simplified: it does not check which letters each position allows).
UK_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$")


def schedule_name(value: str) -> tuple[str, bool]:
    """A name for the schedule: hyphens as spaces, one space between words, at most 35
    characters. Returns (name, truncated); the caller reports truncation."""
    cleaned = " ".join(value.replace("-", " ").split())
    if len(cleaned) <= HMRC_NAME_MAX:
        return cleaned, False
    return cleaned[:HMRC_NAME_MAX].rstrip(), True


def schedule_postcode(value: str) -> str | None:
    """`s19  2bd` -> `S19 2BD`; None when it is not a UK postcode."""
    compact = "".join(value.split()).upper()
    if len(compact) < 5:
        return None
    formatted = f"{compact[:-3]} {compact[-3:]}"
    return formatted if UK_POSTCODE.match(formatted) else None


_HOUSE_NUMBER = re.compile(r"^\s*(\d+[A-Za-z]?(?:\s*-\s*\d+[A-Za-z]?)?)\b")


def house_name_or_number(address_line1: str) -> str:
    """HMRC's "house name or number" from our address line 1 ("12 High St" -> "12",
    "Rose Cottage, Mill Lane" -> "Rose Cottage"). HMRC asks for the name or the number
    only, not the street."""
    line = " ".join(address_line1.split())
    match = _HOUSE_NUMBER.match(line)
    if match:
        return match.group(1).replace(" ", "")
    return line.split(",")[0].strip()
