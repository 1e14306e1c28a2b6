"""`manage.py receipt_preview`: a receipt's email and PDF, seen locally without a mail server
(README, "See a receipt")."""

import io
from email import message_from_bytes, policy

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from tests.finance.conftest import receipted

pytestmark = pytest.mark.django_db


def test_receipt_preview_writes_the_email_and_its_pdf(tmp_path, settings):
    number = receipted(amount=2500, gift_amount=2500, first_name="Ada").receipt.number
    out = io.StringIO()
    call_command("receipt_preview", number, "--output", str(tmp_path), stdout=out)

    assert out.getvalue().split() == [str(tmp_path / f"{number}{ext}")
                                      for ext in (".eml", ".txt", ".html", ".pdf")]
    email = message_from_bytes((tmp_path / f"{number}.eml").read_bytes(), policy=policy.default)
    assert email["From"] == f"{settings.CHARITY_NAME} <receipts@lifeline.invalid>"
    assert number in email["Subject"]
    assert "£25.00" in (tmp_path / f"{number}.html").read_text()
    pdf = PdfReader(tmp_path / f"{number}.pdf").pages[0].extract_text()
    assert number in pdf and "£25.00" in pdf


def test_receipt_preview_without_receipts_says_how_to_make_one(tmp_path):
    with pytest.raises(CommandError, match="give on the demo appeal"):
        call_command("receipt_preview", "--output", str(tmp_path))
