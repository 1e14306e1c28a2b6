"""What a receipt looks like: the PDF (fpdf2) and the email (HTML and text, PDF attached)."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from babel.dates import format_date
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from core.money import format_money, money_locale
from donations.models import Receipt
from donations.receipts import fonts


# Stripe's card brand codes as a donor knows them; any other is shown from its code.
CARD_BRANDS = {
    "amex": "American Express", "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club", "discover": "Discover", "eftpos_au": "eftpos", "jcb": "JCB",
    "mastercard": "Mastercard", "unionpay": "UnionPay", "visa": "Visa",
}


def card_display(brand: str, last4: str) -> str:
    """"Visa ending 4242"; "" when Stripe gave no last four digits."""
    if not last4:
        return ""
    name = CARD_BRANDS.get(brand) or brand.replace("_", " ").title() or _("Card")
    return _("%(brand)s ending %(last4)s") % {"brand": name, "last4": last4}


def receipt_context(receipt: Receipt) -> dict:
    """What the email and the PDF say, in the active language (receipt_email and receipt_pdf
    activate the gift's)."""
    donation = receipt.donation
    issued_local = timezone.localtime(receipt.issued_at)
    declaration = getattr(donation, "declaration", None) if donation.gift_aid else None
    return {
        "receipt": receipt,
        "donation": donation,
        "charity_name": settings.CHARITY_NAME,
        "charity_number": settings.CHARITY_NUMBER,
        "charity_address": settings.CHARITY_ADDRESS,
        "charity_email": settings.CHARITY_EMAIL,
        "appeal_url": settings.SITE_URL + donation.appeal.get_absolute_url(),
        "card": card_display(donation.card_brand, donation.card_last4),
        # HMRC: the declaration as the donor made it, and the address it was made with.
        "declaration_wording": declaration.wording if declaration else "",
        "donor_address": ", ".join(part for part in (
            declaration.address_line1 if declaration else donation.address_line1,
            declaration.postcode if declaration else donation.postcode,
        ) if part) if donation.gift_aid else "",
        "donor_name": donation.donor_name or _("Friend"),
        "gift": format_money(donation.gift_amount, donation.currency),
        "charged": format_money(donation.amount, donation.currency),
        "fund": donation.designation.name if donation.designation else _("Where it's most needed"),
        # "7 December 2026", "7. Dezember 2026", "7 грудня 2026 р.": CLDR's long date.
        "date": format_date(issued_local.date(), format="long", locale=money_locale()),
        "gift_aid": donation.gift_aid,
    }


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF, in the language the gift was made in, with embedded fonts that
    print a name in any script (Latin, Cyrillic, Arabic right to left, CJK).

    :raises fonts.FontsMissing: the fonts are not installed (`make fonts`).
    """
    with translation.override(receipt.donation.language):
        return _receipt_pdf(receipt)


def _receipt_pdf(receipt: Receipt) -> bytes:
    c = receipt_context(receipt)
    donation = receipt.donation
    rtl = translation.get_language_bidi()
    align = "R" if rtl else "L"
    pdf = FPDF(format="A4")
    # The donor's, the appeal's and the charity's own words may be in any script.
    fonts.add_fonts(pdf, [str(value) for value in c.values()] + [donation.appeal.title])
    pdf.set_lang(translation.get_language())
    pdf.set_title(_("Receipt %(number)s") % {"number": receipt.number})
    pdf.set_author(c["charity_name"])
    pdf.add_page()

    def line(text: str, size: int, style: str = "", height: float = 6) -> None:
        pdf.set_font(fonts.MAIN, style, size)
        pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    line(c["charity_name"], 20, "B", 12)
    line(_("Registered charity number %(number)s") % {"number": c["charity_number"]}, 10)
    if c["charity_address"]:
        line(c["charity_address"], 10, height=5)
    line(_("Questions: %(email)s") % {"email": c["charity_email"]}, 10, height=5)
    pdf.ln(8)
    line(_("Donation receipt"), 16, "B", 10)
    pdf.ln(2)
    rows = [
        (_("Receipt number"), receipt.number),
        (_("Date"), c["date"]),
        (_("Donor"), c["donor_name"]),
        (_("Appeal"), donation.appeal.title),
        (_("Appeal page"), c["appeal_url"]),
        (_("Fund"), c["fund"]),
        (_("Gift"), c["gift"]),
    ]
    if donation.cover_fees:
        rows.append((_("Charged (card fee covered)"), c["charged"]))
    if c["card"]:
        rows.append((_("Paid by"), c["card"]))
    rows.append((_("Gift Aid"), _("Yes - declared") if c["gift_aid"] else _("No")))
    if c["donor_address"]:
        rows.append((_("Your address"), c["donor_address"]))
    label_width = 60
    value_width = pdf.epw - label_width
    for label, value in rows:
        # Label then value, from the start of the line: the right in Arabic.
        cells = [(label_width, label, "B"), (value_width, value, "")]
        for width, text, style in reversed(cells) if rtl else cells:
            pdf.set_font(fonts.MAIN, style, 11)
            pdf.cell(width, 8, text, align=align)
        pdf.ln(8)
    pdf.ln(8)
    line(_("Thank you for your gift to %(charity)s. No goods or services were given in return "
           "for this donation. Please keep this receipt for your records.")
         % {"charity": c["charity_name"]}, 10, height=5)
    if c["declaration_wording"]:
        pdf.ln(4)
        line(_("Your Gift Aid declaration"), 10, "B")
        line(c["declaration_wording"], 10, height=5)
    return bytes(pdf.output())


def message_id(receipt: Receipt, *, resend: bool, attempt: int) -> str:
    """The email's Message-ID: one per receipt for its first sending (every retry of it
    alike), a new one per resend."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "lifeline.invalid"
    suffix = f".resend-{attempt}" if resend else ""
    return f"<receipt.{receipt.number}{suffix}@{domain}>"


def sender() -> str:
    """DEFAULT_FROM_EMAIL, named as the charity when it gives no display name of its own."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return settings.DEFAULT_FROM_EMAIL if name else formataddr((settings.CHARITY_NAME, address))


def receipt_email(receipt: Receipt) -> EmailMultiAlternatives:
    """The receipt email (text, HTML, the PDF attached), in the language the gift was made in."""
    with translation.override(receipt.donation.language):
        return _receipt_email(receipt)


def _receipt_email(receipt: Receipt) -> EmailMultiAlternatives:
    c = receipt_context(receipt)
    subject = _("Your receipt %(number)s from %(charity)s") % {
        "number": receipt.number, "charity": settings.CHARITY_NAME}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("donations/email/receipt.txt", c),
        from_email=sender(),
        to=[receipt.donation.email],
        headers={"X-Lifeline-Receipt": receipt.number},
    )
    message.attach_alternative(render_to_string("donations/email/receipt.html", c), "text/html")
    message.attach(f"receipt-{receipt.number}.pdf", _receipt_pdf(receipt), "application/pdf")
    return message
