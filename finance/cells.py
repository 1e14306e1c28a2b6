"""HMRC's Gift Aid schedule formats (DOMAIN.md "cell rules"); formula neutralisation, shared
by every export, is `core.cells.neutralise`."""

from __future__ import annotations

import re

# --- HMRC Charities Online schedule (DOMAIN.md "cell rules") ------------------------------

HMRC_NAME_MAX = 35
HMRC_TITLE_MAX = 4


def schedule_name(value: str) -> tuple[str, bool]:
    """A name for the schedule: hyphens as spaces, one space between words, at most 35
    characters. Returns (name, truncated); the caller reports truncation."""
    cleaned = " ".join(value.replace("-", " ").split())
    if len(cleaned) <= HMRC_NAME_MAX:
        return cleaned, False
    return cleaned[:HMRC_NAME_MAX].rstrip(), True


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
