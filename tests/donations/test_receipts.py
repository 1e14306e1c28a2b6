"""Receipts through the real parts: the stand-in, a Celery worker process, SMTP (aiosmtpd)."""

import io
import re

import pytest
import requests
from pypdf import PdfReader

from donations.models import Receipt
from donations.giftaid import gift_aid_wording
from tests.conftest import Worker
from tests.helpers import create_donation, give_card

CHARITY_ADDRESS = "Lifeline House, 1 Relief Road, London N1 9GU"

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_text(message) -> str:
    attachment = next(part for part in message.iter_attachments()
                      if part.get_content_type() == "application/pdf")
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_paid_gift_emails_one_receipt_with_a_pdf(demo, live_server, inbox, worker, settings):
    created = create_donation(live_server.url, designation="medicine", gift_aid=True,
                              address_line1="10 Downing Street", postcode="sw1a2aa",
                              key="receipt-1").json()
    assert give_card(live_server.url, created["id"], "4242424242424242").json()["status"] == \
        "succeeded"

    messages = inbox.wait_for(1)
    assert len(messages) == 1
    message = messages[0]
    receipt = Receipt.objects.get()
    assert re.fullmatch(rf"{settings.RECEIPT_PREFIX}-\d{{4}}-000001", receipt.number)
    assert message["To"] == "donor@example.com"
    assert receipt.number in message["Subject"]
    # One Message-ID per receipt: a copy sent again after a crash shows once in mail clients.
    domain = settings.DEFAULT_FROM_EMAIL.rstrip(">").rpartition("@")[2]
    assert message["Message-ID"] == f"<receipt.{receipt.number}@{domain}>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert receipt.number in body
        assert "£25.00" in body
        assert "Medicine" in body
        assert settings.CHARITY_NAME in body and settings.CHARITY_NUMBER in body
    assert "Gift Aid: Yes" in text
    pdf = pdf_text(message)
    assert receipt.number in pdf and "£25.00" in pdf and "Medicine" in pdf
    assert settings.CHARITY_NUMBER in pdf and "Gift Aid" in pdf

    # The donor's thanks page and the API show the number.
    page = requests.get(f"{live_server.url}/donations/{created['id']}/thanks/").text
    assert receipt.number in page
    api = requests.get(f"{live_server.url}/api/v1/donations/{created['id']}/").json()
    assert api["receipt_number"] == receipt.number
    receipt.refresh_from_db()
    assert receipt.email_sent_at is not None


@pytest.fixture
def addressed_worker(worker_env):
    """A worker for a charity that set CHARITY_ADDRESS."""
    w = Worker({**worker_env, "CHARITY_ADDRESS": CHARITY_ADDRESS}).start()
    yield w
    w.stop()


def test_receipt_names_the_charity_address_the_card_and_the_declaration(
        demo, live_server, inbox, addressed_worker, settings):
    created = create_donation(live_server.url, designation="water", gift_aid=True,
                              address_line1="10 Downing Street", postcode="SW1A 2AA").json()
    assert give_card(live_server.url, created["id"], "4242424242424242").json()["status"] == \
        "succeeded"

    message = inbox.wait_for(1)[0]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    pdf = " ".join(pdf_text(message).split())
    wording = gift_aid_wording(settings.CHARITY_NAME)
    for body in (text, html, pdf):
        assert CHARITY_ADDRESS in body
        assert "Visa ending 4242" in body
        assert "Water" in body  # the designation
        assert "10 Downing Street, SW1A 2AA" in body
        assert wording in body
        assert settings.CHARITY_EMAIL in body  # whom to ask
        assert f"{settings.SITE_URL}/appeals/emergency-appeal/" in body  # back to the appeal
    # The sender is the charity by name.
    assert message["From"] == f"{settings.CHARITY_NAME} <receipts@lifeline.invalid>"
