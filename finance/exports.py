"""Writers for the exports: CSV streamed row by row, XLSX in openpyxl's write-only mode.

Both take the same rows (dicts of strings) and neutralise every text cell the same way
(`finance.cells.neutralise`). Neither holds more than one row in memory.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from donations.money import exponent
from finance.cells import neutralise
from finance.selectors import RECEIPT_COLUMNS, RECEIPT_MONEY_COLUMNS


class _Echo:
    """A file-like object whose write() hands the line back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def csv_lines(columns: list[str], rows: Iterable[dict], money: set[str]) -> Iterator[str]:
    """The header, then one CSV line per row, text cells neutralised, as they are produced."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow(
            [row[c] if c in money else neutralise(row[c]) for c in columns]
        )


def _xlsx_text(value: str) -> str | None:
    if not value:
        return None  # a blank cell, not an empty string
    # openpyxl refuses control characters (IllegalCharacterError) that a donor may have typed
    # into a name or that a `ref` URL may carry: drop them rather than fail the export.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))


def xlsx_file(
    columns: list[str], rows: Iterable[dict], money: set[str], *,
    sheet_title: str, places: Callable[[dict], int],
):
    """Write the rows to an XLSX temporary file (openpyxl write-only: rows go to disk as they
    are appended) and return it, open and rewound, for a FileResponse or a copy.

    Amounts are decimal strings in major units, as SPEC.md fixes for every export ("25.00",
    "3000" JPY), in cells formatted as text ("@") so no spreadsheet re-reads them as floats
    and drops the currency's decimal places. `places(row)` is kept for callers' sake.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for name in columns:
            value = row[name]
            if name in money:
                if value == "":
                    cells.append(None)  # blank, not 0.00
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "@"
                cells.append(cell)
            else:
                cells.append(_xlsx_text(value))
        sheet.append(cells)
    out = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(out)
    out.seek(0)
    return out


def receipts_csv(rows: Iterable[dict]) -> Iterator[str]:
    return csv_lines(RECEIPT_COLUMNS, rows, RECEIPT_MONEY_COLUMNS)


def receipts_xlsx(rows: Iterable[dict]):
    return xlsx_file(RECEIPT_COLUMNS, rows, RECEIPT_MONEY_COLUMNS, sheet_title="Receipts",
                     places=lambda row: exponent(row["currency"]))
