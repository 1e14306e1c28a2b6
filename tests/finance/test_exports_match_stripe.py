"""Gifts paid through the API and the Stripe stand-in, exported, and checked against the
stand-in's own charges and balance transactions (read with the stripe SDK)."""

import csv
import io
import uuid
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
import requests
import stripe

from donations.models import Donation
from donations.services.refunds import donation_refund
from finance.selectors import RECEIPT_COLUMNS
from tests.helpers import create_donation, give_card

pytestmark = pytest.mark.django_db(transaction=True)


def pay(base_url, **body) -> Donation:
    created = create_donation(base_url, body)
    assert created.status_code == 201, created.text
    paid = give_card(base_url, created.json()["id"], "4242424242424242")
    assert paid.status_code == 200, paid.text
    return Donation.objects.get(pk=created.json()["id"])


@pytest.fixture
def month(live_server, demo, standin, finance_user):
    """Four gifts: plain GBP, GBP with the fee covered and Gift Aid, JPY, and one refunded
    in part through Stripe."""
    base = live_server.url
    gifts = [
        pay(base, amount="25.00"),
        pay(base, amount="10.00", cover_fees=True, gift_aid=True,
            address_line1="12 High Street", postcode="S19 2BD"),
        pay(base, appeal="typhoon-relief-japan", amount="3000", currency="JPY",
            first_name="=HYPERLINK(\"http://evil\")", utm_source="+cmd"),
        pay(base, amount="40.00"),
    ]
    donation_refund(donation_id=gifts[3].pk, amount=1500, actor=finance_user,
                             reason="donor asked", request_key=uuid.uuid4().hex)
    return gifts


def stripe_client(standin):
    return stripe.StripeClient("sk_test_x", base_addresses={"api": standin})


def as_minor(text: str, currency: str) -> int:
    return int(Decimal(text).scaleb(0 if currency == "JPY" else 2))


def test_receipts_csv_matches_stripes_charges_to_the_penny(month, live_server, standin,
                                                          finance_token):
    response = requests.get(live_server.url + "/finance/exports/receipts.csv",
                            headers={"Authorization": f"Token {finance_token}"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    reader = csv.reader(io.StringIO(response.content.decode()))
    header, *lines = list(reader)
    assert header == RECEIPT_COLUMNS
    rows = [dict(zip(header, line)) for line in lines]
    assert len(rows) == 4
    assert {(r["frequency"], r["regular_gift_id"]) for r in rows} == {("once", "")}

    client = stripe_client(standin)
    for row in rows:
        pi = client.v1.payment_intents.retrieve(
            row["stripe_payment_intent"], params={"expand": ["latest_charge.balance_transaction"]})
        charge = pi.latest_charge
        txn = charge.balance_transaction
        cur = row["currency"]
        assert cur == pi.currency.upper()
        assert as_minor(row["amount"], cur) == charge.amount
        assert as_minor(row["fee"], cur) == txn.fee
        assert as_minor(row["net"], cur) == txn.net
        assert as_minor(row["refunded_amount"], cur) == charge.amount_refunded

    by_id = {row["donation_id"]: row for row in rows}
    covered, jpy, refunded = (by_id[str(month[i].pk)] for i in (1, 2, 3))
    assert covered["amount"] == "10.36"  # the charge, covered fee included
    assert covered["gift_aid"] == "yes"
    assert jpy["amount"] == "3000" and jpy["fee"] == "0" and jpy["net"] == "3000"
    assert jpy["donor_name"] == "'=HYPERLINK(\"http://evil\") Lovelace"
    assert jpy["utm_source"] == "'+cmd"
    assert refunded["refunded_amount"] == "15.00"
    assert refunded["status"] == "partially_refunded"

    # Per currency, the columns add up to Stripe's balance for the same gifts.
    txns = list(client.v1.balance_transactions.list(params={"limit": 100}).auto_paging_iter())
    for cur in ("GBP", "JPY"):
        ours = [r for r in rows if r["currency"] == cur]
        theirs = [t for t in txns if t.currency.upper() == cur]
        charges = [t for t in theirs if t.type == "charge"]
        refunds = [t for t in theirs if t.type == "refund"]
        assert sum(as_minor(r["amount"], cur) for r in ours) == sum(t.amount for t in charges)
        assert sum(as_minor(r["fee"], cur) for r in ours) == sum(t.fee for t in charges)
        assert sum(as_minor(r["net"], cur) for r in ours) == sum(t.net for t in charges)
        assert sum(as_minor(r["refunded_amount"], cur) for r in ours) == -sum(
            t.amount for t in refunds)


def test_receipts_xlsx_has_the_same_columns_numeric_amounts_and_neutralised_cells(
        month, live_server, finance_token):
    response = requests.get(live_server.url + "/finance/exports/receipts.xlsx",
                            headers={"Authorization": f"Token {finance_token}"}, timeout=30)
    assert response.status_code == 200
    csv_rows = list(csv.DictReader(io.StringIO(requests.get(
        live_server.url + "/finance/exports/receipts.csv",
        headers={"Authorization": f"Token {finance_token}"}, timeout=30).content.decode())))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *lines = list(sheet.iter_rows())
    assert [c.value for c in header] == RECEIPT_COLUMNS
    assert len(lines) == len(csv_rows) == 4
    for cells, row in zip(lines, csv_rows):
        by_name = dict(zip(RECEIPT_COLUMNS, cells))
        for name in RECEIPT_COLUMNS:
            cell = by_name[name]
            if name in ("amount", "fee", "net", "refunded_amount"):
                # SPEC: numeric cells shown with the currency's decimals, so a sheet sums them.
                assert cell.data_type == "n", name
                assert cell.number_format == ("0" if row["currency"] == "JPY" else "0.00")
                assert Decimal(str(cell.value)) == Decimal(row[name]), name
            elif name == "issued_at":
                # A date-time cell in TIME_ZONE (a sheet has no offsets): the CSV's local time.
                assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss"
                assert cell.value == datetime.fromisoformat(row[name]).replace(tzinfo=None)
            elif row[name] == "":
                assert cell.value is None, name  # blank, not an empty string
            else:
                assert cell.data_type == "s", name  # never a formula
                assert cell.value == row[name]
    names = [dict(zip(RECEIPT_COLUMNS, c))["donor_name"].value for c in lines]
    assert "'=HYPERLINK(\"http://evil\") Lovelace" in names
    # A spreadsheet adds the GBP amounts as Stripe does.
    gbp = [dict(zip(RECEIPT_COLUMNS, c)) for c in lines]
    assert sum(Decimal(str(r["amount"].value)) for r in gbp
               if r["currency"].value == "GBP") == Decimal("75.36")
