"""What a receipt looks like: the PDF (fpdf2) and the email (HTML and text, PDF attached)."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from core.money import format_money
from donations.models import Receipt


def pdf_money(minor: int, currency: str) -> str:
    """For the PDF's Latin-1 core font: "£25.00", "¥3,000", but "EUR 25.00" (no € in it)."""
    text = format_money(minor, currency)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return format_money(minor, currency, iso_code=True)
    return text


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
    name = CARD_BRANDS.get(brand) or brand.replace("_", " ").title() or "Card"
    return f"{name} ending {last4}"


def receipt_context(receipt: Receipt) -> dict:
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
        "donor_name": donation.donor_name or "Friend",
        "gift": format_money(donation.gift_amount, donation.currency),
        "charged": format_money(donation.amount, donation.currency),
        "fund": donation.designation.name if donation.designation else "Where it's most needed",
        "date": issued_local.strftime("%d %B %Y"),
        "gift_aid": donation.gift_aid,
    }


def receipt_pdf(receipt: Receipt) -> bytes:
    c = receipt_context(receipt)
    donation = receipt.donation
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {receipt.number}")
    pdf.set_author(c["charity_name"])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, c["charity_name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Registered charity number {c['charity_number']}", new_x="LMARGIN",
             new_y="NEXT")
    if c["charity_address"]:
        pdf.multi_cell(0, 5, _latin1(c["charity_address"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _latin1(_("Questions: %(email)s") % {"email": c["charity_email"]}), new_x="LMARGIN", new_y="NEXT",
             link=f"mailto:{c['charity_email']}")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Donation receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows = [
        ("Receipt number", receipt.number),
        ("Date", c["date"]),
        ("Donor", c["donor_name"]),
        ("Appeal", donation.appeal.title),
        (_("Appeal page"), c["appeal_url"]),
        ("Fund", c["fund"]),
        ("Gift", pdf_money(donation.gift_amount, donation.currency)),
    ]
    if donation.cover_fees:
        rows.append(("Charged (card fee covered)", pdf_money(donation.amount, donation.currency)))
    if c["card"]:
        rows.append(("Paid by", c["card"]))
    rows.append(("Gift Aid", "Yes - declared" if c["gift_aid"] else "No"))
    if c["donor_address"]:
        rows.append(("Your address", c["donor_address"]))
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(60, 8, label)
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0, 5,
        _latin1(f"Thank you for your gift to {c['charity_name']}. No goods or services were "
                "given in return for this donation. Please keep this receipt for your records."),
    )
    if c["declaration_wording"]:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Your Gift Aid declaration", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, _latin1(c["declaration_wording"]))
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


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
    c = receipt_context(receipt)
    subject = f"Your receipt {receipt.number} from {settings.CHARITY_NAME}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("donations/email/receipt.txt", c),
        from_email=sender(),
        to=[receipt.donation.email],
        headers={"X-Lifeline-Receipt": receipt.number},
    )
    message.attach_alternative(render_to_string("donations/email/receipt.html", c), "text/html")
    message.attach(f"receipt-{receipt.number}.pdf", receipt_pdf(receipt), "application/pdf")
    return message
