"""CSV and XLSX cell safety: the one formula neutraliser every export uses."""

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will show, never run: a leading ' before a formula prefix.

    Applied to every *text* cell of the CSV and XLSX exports (SPEC "Receipts") and of the
    attribution report. Amounts are not text cells: they are produced by `to_major_str` from
    integers, never from user input.
    """
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
