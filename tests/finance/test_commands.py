"""export_receipts and reconcile_finance, as finance runs them."""

import csv
import uuid
from datetime import datetime

import openpyxl
import pytest
import stripe
from django.core.management import CommandError, call_command
from django.utils import timezone

from donations.models import Donation, Refund
from donations.services.refunds import donation_refund
from finance.filters import Period
from finance.models import ExportLog
from finance.reconciliation import reconcile
from finance.selectors import RECEIPT_COLUMNS
from tests.finance.conftest import local, receipted
from tests.finance.test_exports_match_stripe import pay


def test_export_receipts_writes_csv_and_xlsx_for_the_period(db, tmp_path):
    inside = receipted(issued_at=local(2026, 7, 1, 0, 30), ref="=cmd|' /C calc'!A0")
    receipted(issued_at=local(2026, 6, 30, 23, 59))

    call_command("export_receipts", "--from", "2026-07-01", "--to", "2026-07-31",
                 "--output", str(tmp_path / "july.csv"))
    call_command("export_receipts", "--from", "2026-07-01", "--to", "2026-07-31",
                 "--appeal", "finance-appeal", "--format", "xlsx",
                 "--output", str(tmp_path / "july.xlsx"))

    with open(tmp_path / "july.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["donation_id"] for r in rows] == [str(inside.pk)]
    assert rows[0]["ref"] == "'=cmd|' /C calc'!A0"
    sheet = openpyxl.load_workbook(tmp_path / "july.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == RECEIPT_COLUMNS
    assert values[1][2] == str(inside.pk) and values[1][16] == "'=cmd|' /C calc'!A0"
    assert rows[0]["frequency"] == "once" and rows[0]["regular_gift_id"] == ""
    assert values[1][-2:] == ("once", None)  # a one-off gift: an empty cell
    assert values[1][1] == datetime(2026, 7, 1, 0, 30)  # a date-time cell, London time
    assert values[1][7] == 25  # a number a sheet adds, shown "25.00"
    logs = ExportLog.objects.filter(source="command").order_by("id")
    assert [(log.kind, log.row_count) for log in logs] == [("receipts.csv", 1), ("receipts.xlsx", 1)]


@pytest.mark.parametrize("args, message", [
    (["--format", "pdf"], "--format must be csv or xlsx"),
    (["--appeal", "nope"], "--appeal: No appeal"),
    (["--to", "2026-06-01"], "--to: 'to' must be on or after 'from'"),
])
def test_export_receipts_refuses_bad_options_and_writes_nothing(db, tmp_path, args, message):
    base = {"--from": "2026-07-01", "--to": "2026-07-31", "--output": str(tmp_path / "out.csv")}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    with pytest.raises(CommandError, match=message):
        call_command("export_receipts", *[x for kv in base.items() for x in kv])
    assert list(tmp_path.iterdir()) == []
    assert not ExportLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_reconcile_finance_agrees_with_the_standin_then_names_what_differs(
        live_server, demo, standin, finance_user, capsys):
    gifts = [pay(live_server.url, amount="25.00"), pay(live_server.url, amount="12.00")]
    donation_refund(donation_id=gifts[1].pk, amount=500, actor=finance_user,
                             reason="", request_key=uuid.uuid4().hex)
    today = timezone.localdate().isoformat()

    call_command("reconcile_finance", "--from", today, "--to", today)
    out = capsys.readouterr().out
    assert "GBP      amount             37.00          37.00" in out
    assert "GBP      refunded            5.00           5.00" in out
    assert "agree" in out

    # A charge made at Stripe outside Lifeline, and a fee recorded wrongly here.
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.create(params={"amount": 700, "currency": "gbp",
                                             "payment_method": pm.id, "confirm": True})
    Donation.objects.filter(pk=gifts[0].pk).update(fee=30, net=2470)

    with pytest.raises(CommandError, match="3 difference"):
        call_command("reconcile_finance", "--from", today, "--to", today)
    out = capsys.readouterr().out
    assert f"DIFFERS donation={gifts[0].pk} stripe={gifts[0].stripe_charge}: fee: ours 30, " \
           "Stripe 0." in out
    assert "net: ours 2470, Stripe 2500." in out
    assert "Stripe charge unknown to Lifeline." in out
    assert "GBP      amount             37.00          44.00  <- differs" in out


@pytest.mark.django_db(transaction=True)
def test_a_pending_refund_counts_in_the_reconciliation_as_in_the_refunded_amount(
        live_server, demo, standin, finance_user):
    """One definition of the refunds that count (donations.states.REFUND_COUNTS): Stripe's
    balance shows a refund while it is pending, `refunded_amount` counts it, and so does
    finance's reconciliation (which counted succeeded ones only, and named Stripe's pending
    refund "not recorded here")."""
    gift = pay(live_server.url, amount="12.00")
    refund = donation_refund(donation_id=gift.pk, amount=500, actor=finance_user, reason="",
                             request_key=uuid.uuid4().hex)
    Refund.objects.filter(pk=refund.pk).update(status="pending")  # Stripe: on its way
    gift.refresh_from_db()
    assert gift.refunded_amount == 500

    today = timezone.localdate()
    result = reconcile(Period(start=today, end=today))

    assert result.ours["GBP"]["refunded"] == result.stripe["GBP"]["refunded"] == 500
    assert result.differences == []


def test_export_receipts_from_the_first_to_the_last_day_a_date_holds_writes_every_receipt(
        db, tmp_path):
    gift = receipted(issued_at=local(2026, 7, 1, 12))
    call_command("export_receipts", "--from", "0001-01-01", "--to", "9999-12-31",
                 "--output", str(tmp_path / "all.csv"))
    with open(tmp_path / "all.csv", newline="") as f:
        assert [r["donation_id"] for r in csv.DictReader(f)] == [str(gift.pk)]
    with pytest.raises(CommandError, match="--to: Date has wrong format"):
        call_command("export_receipts", "--from", "2026-07-01", "--to", "20260731",
                     "--output", str(tmp_path / "bad.csv"))
