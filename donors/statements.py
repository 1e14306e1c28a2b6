"""A donor's statement for a UK tax year (6 April to 5 April): every gift of the year, Gift
Aid marked, totals per currency. A PDF drawn with fpdf2 in the receipt's embedded fonts
(donations/receipts/fonts.py: any script, Arabic shaped right to left), in the active
language."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from core.money import format_money
from donations.models import Donation
from donations.receipts import fonts
from donations.states import S
from donors.selectors import gift_date

# Column widths (mm) of the gifts table on A4 (190 mm between the margins).
COLUMNS = ((28, "date"), (42, "receipt"), (62, "appeal"), (34, "gift"), (24, "gift_aid"))
APPEAL_CHARS = 34


def _text(value: str) -> str:
    """As it is: the embedded fonts print any script (before, the core font printed "?")."""
    return value


def pdf_money(minor: int, currency: str) -> str:
    """format_money: the embedded fonts have every currency's sign ("€25.00", "25,00 €")."""
    return format_money(minor, currency)


def tax_year_label(year: int) -> str:
    """"6 April 2026 to 5 April 2027", in the active language."""
    return _("%(start)s to %(end)s") % {
        "start": formats.date_format(date(year, 4, 6), "j F Y"),
        "end": formats.date_format(date(year + 1, 4, 5), "j F Y"),
    }


def is_gift_aided(donation: Donation) -> bool:
    """Gift Aid is claimed on the gift: it was declared with it (its declaration recorded)."""
    return donation.gift_aid and hasattr(donation, "declaration")


def counted_amount(donation: Donation) -> int:
    """What the gift counts for on the statement: the gift less refunds (nothing while
    disputed)."""
    if donation.status == S.DISPUTED:
        return 0
    return max(0, donation.gift_amount - donation.refunded_amount)


def statement_pdf(*, year: int, gifts: list[Donation], donor_name: str, email: str) -> bytes:
    pdf = FPDF(format="A4")
    # The donor's name and the appeals' titles may be in any script.
    fonts.add_fonts(pdf, [donor_name, email, settings.CHARITY_NAME, settings.CHARITY_ADDRESS,
                          *(gift.appeal.title for gift in gifts)])
    title = _("Statement of your gifts, tax year %(years)s") % {
        "years": f"{year}-{str(year + 1)[-2:]}"}
    pdf.set_title(_text(title))
    pdf.set_author(_text(settings.CHARITY_NAME))
    pdf.add_page()
    pdf.set_font(fonts.MAIN, "B", 20)
    pdf.cell(0, 12, _text(settings.CHARITY_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.MAIN, "", 10)
    pdf.cell(0, 6, _text(_("Registered charity number %(number)s") % {
        "number": settings.CHARITY_NUMBER}), new_x="LMARGIN", new_y="NEXT")
    if settings.CHARITY_ADDRESS:
        pdf.multi_cell(0, 5, _text(settings.CHARITY_ADDRESS), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(fonts.MAIN, "B", 16)
    pdf.multi_cell(0, 9, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.MAIN, "", 11)
    pdf.cell(0, 7, _text(tax_year_label(year)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _text(f"{donor_name} <{email}>" if donor_name else email),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    headings = {"date": _("Date"), "receipt": _("Receipt"), "appeal": _("Appeal"),
                "gift": _("Gift"), "gift_aid": _("Gift Aid")}
    pdf.set_font(fonts.MAIN, "B", 10)
    for width, key in COLUMNS:
        pdf.cell(width, 8, _text(headings[key]), border="B")
    pdf.ln(8)
    pdf.set_font(fonts.MAIN, "", 10)
    totals: dict[str, int] = defaultdict(int)
    aided: dict[str, int] = defaultdict(int)
    for donation in gifts:
        receipt = getattr(donation, "receipt", None)
        appeal = donation.appeal.title
        if len(appeal) > APPEAL_CHARS:
            appeal = appeal[:APPEAL_CHARS - 1] + "..."
        row = {
            "date": formats.date_format(timezone.localtime(gift_date(donation)).date(),
                                        "d/m/Y"),
            "receipt": receipt.number if receipt else "",
            "appeal": appeal,
            "gift": pdf_money(donation.gift_amount, donation.currency),
            "gift_aid": _("Yes") if is_gift_aided(donation) else _("No"),
        }
        for width, key in COLUMNS:
            pdf.cell(width, 7, _text(row[key]))
        pdf.ln(7)
        if donation.refunded_amount or donation.status == S.DISPUTED:
            note = (_("Disputed with your bank") if donation.status == S.DISPUTED else
                    _("Refunded: %(amount)s") % {
                        "amount": pdf_money(donation.refunded_amount, donation.currency)})
            pdf.set_font(fonts.MAIN, "", 9)
            pdf.cell(COLUMNS[0][0], 6, "")
            pdf.cell(0, 6, _text(note), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(fonts.MAIN, "", 10)
        totals[donation.currency] += counted_amount(donation)
        if is_gift_aided(donation):
            aided[donation.currency] += counted_amount(donation)

    pdf.ln(4)
    pdf.set_font(fonts.MAIN, "B", 11)
    for currency in sorted(totals):
        pdf.cell(0, 7, _text(_("Total given in %(currency)s: %(amount)s") % {
            "currency": currency, "amount": pdf_money(totals[currency], currency)}),
            new_x="LMARGIN", new_y="NEXT")
        if aided[currency]:
            pdf.set_font(fonts.MAIN, "", 10)
            pdf.cell(0, 6, _text(_("of which Gift Aid is claimed on: %(amount)s") % {
                "amount": pdf_money(aided[currency], currency)}),
                new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(fonts.MAIN, "B", 11)
    pdf.ln(6)
    pdf.set_font(fonts.MAIN, "", 9)
    pdf.multi_cell(0, 5, _text(_(
        "Gift Aid: Yes marks the gifts we claim Gift Aid on, with your declaration (gifts in "
        "pounds sterling only). Refunded amounts are left out of the totals. Each gift has a "
        "receipt of its own; please keep this statement for your records.")))
    return bytes(pdf.output())
