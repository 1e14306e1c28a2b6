"""Writers for the exports: CSV row by row, XLSX in openpyxl's write-only mode, each to a
temporary file that is sent once it is complete.

Both take the same rows (dicts of strings, None for an empty cell) and neutralise every text
cell the same way (`core.cells.neutralise`). Neither holds more than one row in memory.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from core.cells import neutralise
from core.money import exponent
from finance.selectors import RECEIPT_COLUMNS, RECEIPT_DATETIME_COLUMNS, RECEIPT_MONEY_COLUMNS


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
            ["" if row[c] is None else row[c] if c in money else neutralise(row[c])
             for c in columns]
        )


def csv_file(columns: list[str], rows: Iterable[dict], money: set[str]):
    """The whole CSV in a temporary file, open and rewound, for a FileResponse.

    Written before the response starts so that a failure while reading the rows is an
    error status, never a 200 whose body stops early yet looks like a complete file; and the
    response then has a Content-Length, so a transfer cut by the network is detectable too.
    """
    out = tempfile.TemporaryFile(suffix=".csv")
    for line in csv_lines(columns, rows, money):
        out.write(line.encode())
    out.seek(0)
    return out


def _xlsx_text(value: str) -> str | None:
    if not value:
        return None  # a blank cell, not an empty string
    # openpyxl refuses control characters (IllegalCharacterError) that a donor may have typed
    # into a name or that a `ref` URL may carry: drop them rather than fail the export.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))


def _number_format(places: int) -> str:
    return "0." + "0" * places if places else "0"


# The date-time cells' format: ISO order, so a sheet shows and sorts them as the CSV does.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

# Column widths (in characters) for what the columns hold, set before the first row (a
# write-only sheet cannot measure its cells afterwards); other columns fit their name.
COLUMN_WIDTHS = {
    "receipt_number": 16, "issued_at": 20, "donation_id": 38, "regular_gift_id": 38,
    "appeal": 24, "donor_name": 26, "donor_email": 32, "stripe_payment_intent": 30,
    "utm_source": 16, "ref": 40, "designation": 14,
}


def _column_width(name: str) -> int:
    return COLUMN_WIDTHS.get(name, max(len(name) + 2, 10))


def _local_naive(iso: str) -> datetime:
    """An ISO 8601 moment as a date-time cell in TIME_ZONE: a spreadsheet has no time zones
    (openpyxl refuses aware datetimes), so the cell holds the charity's wall-clock time."""
    return timezone.localtime(datetime.fromisoformat(iso)).replace(tzinfo=None)


def xlsx_file(
    columns: list[str], rows: Iterable[dict], money: set[str], *,
    sheet_title: str, places: Callable[[dict], int], datetimes: set[str] = frozenset(),
):
    """Write the rows to an XLSX temporary file (openpyxl write-only: rows go to disk as they
    are appended) and return it, open and rewound, for a FileResponse or a copy.

    Amounts are numeric cells (SPEC "Receipt export columns"), so a spreadsheet sums and
    sorts them: the exact decimal of the row's string ("25.00", "3000" JPY), never a float,
    shown with the currency's decimals (`places(row)`: number format "0.00", or "0" for JPY).
    `datetimes` columns are date-time cells in TIME_ZONE.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _column_width(name)
    sheet.freeze_panes = "A2"  # the header row stays in view while scrolling
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
                cell = WriteOnlyCell(sheet, value=Decimal(value))
                cell.number_format = _number_format(places(row))
                cells.append(cell)
            elif name in datetimes and value:
                cell = WriteOnlyCell(sheet, value=_local_naive(value))
                cell.number_format = DATETIME_FORMAT
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


def receipts_csv_file(rows: Iterable[dict]):
    return csv_file(RECEIPT_COLUMNS, rows, RECEIPT_MONEY_COLUMNS)


def receipts_xlsx(rows: Iterable[dict]):
    return xlsx_file(RECEIPT_COLUMNS, rows, RECEIPT_MONEY_COLUMNS, sheet_title="Receipts",
                     places=lambda row: exponent(row["currency"]),
                     datetimes=RECEIPT_DATETIME_COLUMNS)
