"""A donor's statement for a UK tax year: 6 April to 5 April in the charity's time zone, every
gift that took money, Gift Aid marked, refunds noted, totals per currency."""

import io

import pytest
from pypdf import PdfReader

from tests.factories import AppealFactory
from tests.finance.conftest import local, receipted

pytestmark = pytest.mark.django_db

EMAIL = "ada@example.com"


def text_of(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)


def test_a_statement_is_6_april_to_5_april_in_london_with_totals_per_currency(
        client, donor_client):
    euro = AppealFactory(slug="euro-appeal", title="Euro Appeal", currency="EUR")
    before = receipted(email=EMAIL, amount=1000, issued_at=local(2026, 4, 5, 23, 30),
                       declared=True)  # 22:30 UTC: still 2025-26
    first = receipted(email=EMAIL, amount=2000, issued_at=local(2026, 4, 6, 0, 10),
                      declared=True)  # 23:10 UTC on the 5th: already 2026-27
    refunded = receipted(email=EMAIL.upper(), amount=4000, refunded_amount=1500,
                         status="partially_refunded", issued_at=local(2026, 5, 1, 12))
    in_euros = receipted(email=EMAIL, amount=3000, appeal=euro,
                         issued_at=local(2027, 4, 5, 12))
    someone_else = receipted(email="grace@example.com", amount=5000,
                             issued_at=local(2026, 7, 1, 12))
    donor_client(EMAIL)

    page = client.get("/donor/").content.decode()
    assert "Statement for the tax year 2026–27" in page
    assert "Statement for the tax year 2025–26" in page
    text = text_of(client.get("/donor/statements/2026.pdf"))

    assert "6 April 2026 to 5 April 2027" in text
    for gift in (first, refunded, in_euros):
        assert gift.receipt.number in text
    for gift in (before, someone_else):
        assert gift.receipt.number not in text
    line = next(li for li in text.splitlines() if first.receipt.number in li)
    assert line.rstrip().endswith("Yes")  # Gift Aid marked
    line = next(li for li in text.splitlines() if refunded.receipt.number in li)
    assert line.rstrip().endswith("No")
    assert "Refunded: £15.00" in text
    assert "Total given in GBP: £45.00" in text  # 20.00 + 40.00 - 15.00
    assert "of which Gift Aid is claimed on: £20.00" in text
    assert "Total given in EUR: €30.00" in text  # the embedded font has the euro sign

    assert before.receipt.number in text_of(client.get("/donor/statements/2025.pdf"))
    for year in (2024, 0, 9999, 10**12):
        assert client.get(f"/donor/statements/{year}.pdf").status_code == 404
