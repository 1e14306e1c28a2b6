"""The receipt in the donor's language, printing a name in any script (issue 16): the PDF
embeds TrueType fonts (DejaVu Sans, Droid Sans Fallback for CJK) with harfbuzz shaping, so
its text extracts back exactly as the donor typed it."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from donations.models import Receipt
from donations.receipts.documents import receipt_email, receipt_pdf
from tests.factories import AppealFactory, DonationFactory

pytestmark = pytest.mark.django_db


def _receipt(*, language="en", currency="EUR", **donation) -> Receipt:
    appeal = AppealFactory(slug="earthquake", title="Earthquake Relief", currency=currency)
    gift = DonationFactory(appeal=appeal, amount=1050, language=language,
                           succeeded_at=timezone.now(), card_brand="visa", card_last4="4242",
                           **donation)
    return Receipt.objects.create(donation=gift, year=2026, sequence=7, number="LL-2026-000007",
                                  issued_at=timezone.now())


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(fonts[name].get_object()["/BaseFont"]) for name in fonts}


@pytest.mark.parametrize("first, last", [
    ("Łukasz 山田", "Ðorđe"),          # Latin Extended, CJK (the fallback font), Serbian Latin
    ("محمد", "عبد الله"),              # Arabic: shaped, right to left
    ("Олена", "Шевченко-Ґудзь"),        # Cyrillic
])
def test_a_name_in_any_script_prints_and_extracts_back_exactly(first, last):
    pdf = receipt_pdf(_receipt(first_name=first, last_name=last))

    lines = _text(pdf).splitlines()
    assert any(line.endswith(f"{first} {last}") or line == f"{first} {last}"
               or f"{first} {last}" in line for line in lines), lines
    assert "?" not in "".join(line for line in lines if first in line)
    # The fonts are embedded subsets (a reader without them still sees the name).
    assert any("DejaVu" in font for font in _fonts(pdf))


def test_a_cjk_name_uses_the_fallback_font():
    pdf = receipt_pdf(_receipt(first_name="山田", last_name="太郎"))
    assert "山田 太郎" in _text(pdf)
    assert any("Droid" in font for font in _fonts(pdf))


def test_the_euro_sign_prints_now_that_the_font_has_it():
    text = _text(receipt_pdf(_receipt()))
    assert "€10.50" in text  # English: the sign before; before, the core font printed EUR 10.50


def test_a_gift_made_on_a_german_page_gets_its_receipt_in_german():
    receipt = _receipt(language="de", first_name="Jürgen", last_name="Groß")

    message = receipt_email(receipt)
    assert message.subject == "Ihre Quittung LL-2026-000007 von Lifeline Relief"
    assert "Hallo Jürgen Groß," in message.body
    assert "Spende: 10,50\u00a0€" in message.body
    assert "Bezahlt mit: Visa mit Endziffern 4242" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="de" dir="ltr">' in html and "Quittungsnummer" in html
    pdf = _text(message.attachments[0][1])
    assert "Spendenquittung" in pdf and "10,50\u00a0€" in pdf
    assert "Jürgen Groß" in pdf


def test_an_arabic_receipt_reads_right_to_left():
    receipt = _receipt(language="ar", first_name="محمد", last_name="عبد الله")

    message = receipt_email(receipt)
    assert '<html lang="ar" dir="rtl">' in message.alternatives[0][0]
    assert "إيصالك LL-2026-000007" in message.subject
    pdf = _text(receipt_pdf(receipt))
    assert "إيصال التبرع" in pdf
    assert "محمد عبد الله" in pdf


def test_without_the_fonts_start_up_refuses_and_names_them(settings, tmp_path):
    from django.core import checks

    from donations.receipts.fonts import FontsMissing

    settings.RECEIPT_FONT_DIR = str(tmp_path)
    errors = [e for e in checks.run_checks() if e.id == "donations.E001"]
    assert len(errors) == 1 and "fonts-dejavu-core fonts-droid-fallback" in errors[0].msg
    with pytest.raises(FontsMissing, match="DejaVuSans.ttf"):
        receipt_pdf(_receipt())
