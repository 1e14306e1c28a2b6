"""Who may export, which receipts a period holds, and what bad input answers."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
import requests

from finance.models import ExportLog
from tests.finance.conftest import local, receipted

URLS = [
    "/api/v1/finance/receipts/",
    "/finance/exports/receipts.csv",
    "/finance/exports/receipts.xlsx",
    "/finance/exports/gift-aid.csv",
]


def rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_refused_and_told_to_authenticate(client, db, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", URLS)
def test_staff_outside_finance_get_403(staff, url):
    assert staff.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_a_finance_token_opens_every_export(client, finance_token, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {finance_token}")
    assert response.status_code == 200


def test_superuser_may_export_without_the_group(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@x.invalid", "pw")
    client.force_login(admin)
    assert client.get("/finance/exports/receipts.csv").status_code == 200


def test_finance_group_is_made_by_migrations_and_may_view_donations_in_admin(db):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Finance")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_donation", "view_exportlog", "view_giftaidclaim"} <= codenames


@pytest.mark.parametrize("query, field", [
    ("from=2026-13-01", "from"),
    ("to=20260701", "to"),  # ISO 8601's basic form: not the documented YYYY-MM-DD
    ("from=2026-W27-3", "from"),  # an ISO week date
    ("from=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A0%D9%A7-%D9%A0%D9%A1", "from"),  # Arabic-Indic digits
    ("to=2026-07-01%0A", "to"),
    ("to=10000-01-01", "to"),
    ("to=0000-12-31", "to"),
    ("from=2026-07-01T00:00", "from"),
    ("to=yesterday", "to"),
    ("from=2026-02-30", "from"),
    ("from=2026-07-02&to=2026-07-01", "to"),
    ("appeal=no-such-appeal", "appeal"),
    ("appeal=bad%20slug!", "appeal"),
])
@pytest.mark.parametrize("url", URLS)
def test_bad_filters_answer_400_naming_the_field_and_export_nothing(finance, url, query, field):
    response = finance.get(f"{url}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()
    assert not ExportLog.objects.exists()


def test_unknown_claim_is_a_400_not_an_empty_schedule(finance):
    for value in ("abc", "999"):
        response = finance.get(f"/finance/exports/gift-aid.csv?claim={value}")
        assert response.status_code == 400
        assert "claim" in response.json()


def test_from_and_to_are_whole_local_days_in_the_charitys_time_zone(finance, settings):
    assert settings.TIME_ZONE == "Europe/London"
    # 00:30 on 1 July in London is 23:30 on 30 June in UTC: it belongs to July.
    early_july = receipted(issued_at=local(2026, 7, 1, 0, 30))
    late_july = receipted(issued_at=local(2026, 7, 31, 23, 59, 59))
    receipted(issued_at=local(2026, 6, 30, 23, 59, 59))
    receipted(issued_at=local(2026, 8, 1, 0, 0))

    got = rows(finance.get("/finance/exports/receipts.csv?from=2026-07-01&to=2026-07-31"))

    assert [r["donation_id"] for r in got] == [str(early_july.pk), str(late_july.pk)]
    assert got[0]["issued_at"] == "2026-07-01T00:30:00+01:00"
    one_day = rows(finance.get("/finance/exports/receipts.csv?from=2026-07-31&to=2026-07-31"))
    assert [r["donation_id"] for r in one_day] == [str(late_july.pk)]


def test_appeal_filter_keeps_that_appeals_receipts(finance):
    from tests.factories import AppealFactory

    other = AppealFactory(slug="other-appeal")
    mine = receipted()
    receipted(appeal=other)
    got = rows(finance.get("/finance/exports/receipts.csv?appeal=finance-appeal"))
    assert [r["donation_id"] for r in got] == [str(mine.pk)]
    assert got[0]["appeal"] == "finance-appeal"


def test_receipt_list_is_paginated_with_the_export_columns(finance):
    from finance.selectors import RECEIPT_COLUMNS

    for _ in range(3):
        receipted()
    body = finance.get("/api/v1/finance/receipts/?page_size=2").json()
    assert body["count"] == 3
    assert body["next"] and body["previous"] is None
    assert len(body["results"]) == 2
    assert list(body["results"][0]) == RECEIPT_COLUMNS
    # SPEC: the last two columns; a one-off gift has no regular gift (null in JSON).
    assert list(body["results"][0])[-2:] == ["frequency", "regular_gift_id"]
    assert {(r["frequency"], r["regular_gift_id"]) for r in body["results"]} == {("once", None)}


def test_every_export_is_logged_with_who_and_filters(finance, finance_user):
    receipted(issued_at=local(2026, 7, 1, 12))
    rows(finance.get("/finance/exports/receipts.csv?from=2026-07-01&to=2026-07-31"))
    finance.get("/finance/exports/receipts.xlsx?from=2026-07-01")
    rows(finance.get("/finance/exports/gift-aid.csv?appeal=finance-appeal"))
    finance.get("/api/v1/finance/receipts/")

    logs = list(ExportLog.objects.order_by("id"))
    assert [log.kind for log in logs] == [
        "receipts.csv", "receipts.xlsx", "gift-aid.csv", "receipts.json"]
    assert all(log.user == finance_user and log.actor == "fiona" for log in logs)
    assert logs[0].filters == {"from": "2026-07-01", "to": "2026-07-31", "appeal": None}
    assert [log.row_count for log in logs] == [1, 1, 0, 1]
    assert all(log.finished_at for log in logs)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("query", [
    "to=9999-12-31",
    "from=0001-01-01",
    "from=0001-01-01&to=9999-12-31",
])
@pytest.mark.parametrize("url", URLS)
def test_the_first_and_last_days_a_date_holds_give_the_whole_answer(finance, url, query):
    """SPEC "Errors": `to=9999-12-31` is a 400 or a complete answer, never a 500 or a cut one.
    The bounds a date can hold are open ends: every receipt is in."""
    gift = receipted(issued_at=local(2026, 7, 4, 9), declared=True)
    finance.raise_request_exception = False

    response = finance.get(f"{url}?{query}")

    assert response.status_code == 200, body_of(response)[:300]
    body = body_of(response)
    if url.endswith(".csv"):
        assert int(response["Content-Length"]) == len(body)  # a cut transfer shows
        lines = list(csv.reader(io.StringIO(body.decode())))
        assert len(lines) == 2  # the header and the one gift
    elif url.endswith(".xlsx"):
        import openpyxl

        assert int(response["Content-Length"]) == len(body)
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [str(gift.pk)]
    else:
        assert [r["donation_id"] for r in response.json()["results"]] == [str(gift.pk)]
    assert ExportLog.objects.get().finished_at


@pytest.mark.parametrize("query", ["from=9999-12-31&to=9999-12-31", "to=0001-01-01"])
def test_a_period_at_the_ends_of_the_calendar_is_empty_not_an_error(finance, query):
    receipted(issued_at=local(2026, 7, 4, 9))
    response = finance.get(f"/api/v1/finance/receipts/?{query}")
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize("to", ["9999-12-31", "2026-07-31"])
def test_a_gift_aid_claim_up_to_the_last_day_a_date_holds_is_recorded(finance, to):
    receipted(issued_at=local(2026, 7, 4, 9), declared=True)
    made = finance.post("/api/v1/finance/gift-aid/claims/", {"from": "0001-01-01", "to": to},
                        content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["lines"] == 1


@pytest.mark.django_db(transaction=True)
def test_receipts_csv_over_http_is_whole_with_its_length_or_an_error_status(
        live_server, finance_token):
    """What a script saves: never a 200 with the header alone (`to=9999-12-31` used to cut
    the stream after it), and a row that cannot be written (an unknown currency in the
    books) fails the request with an error status before any byte is sent, instead of a
    200 that stops after the rows before it."""
    good = receipted(issued_at=local(2026, 7, 4, 9))
    auth = {"Authorization": f"Token {finance_token}"}
    url = live_server.url + "/finance/exports/receipts.csv"

    whole = requests.get(url, params={"to": "9999-12-31"}, headers=auth, timeout=30)
    assert whole.status_code == 200
    assert int(whole.headers["Content-Length"]) == len(whole.content)
    lines = whole.content.decode().splitlines()
    assert len(lines) == 2 and str(good.pk) in lines[1]

    receipted(issued_at=local(2026, 7, 5, 9), currency="XXX")
    broken = requests.get(url, headers=auth, timeout=30)
    assert broken.status_code == 500
    assert "receipt_number" not in broken.text  # no partial file under a 500 either
    log = ExportLog.objects.filter(kind="receipts.csv").order_by("id").last()
    assert log.finished_at is None  # the log says it did not finish


def test_receipts_xlsx_cells_are_numbers_and_date_times_a_sheet_sums_and_sorts(finance):
    """SPEC "Receipt export columns": amounts are numeric cells with the currency's decimals,
    `issued_at` a date-time cell in TIME_ZONE; a one-off gift's regular_gift_id is empty."""
    import openpyxl

    from tests.factories import AppealFactory

    receipted(issued_at=local(2026, 7, 1, 0, 30), amount=2550, fee=58, net=2492,
              refunded_amount=550, status="partially_refunded")
    receipted(issued_at=local(2026, 1, 2, 23, 5), appeal=AppealFactory(slug="yen", currency="JPY"),
              amount=3000, fee=108, net=2892)

    response = finance.get("/finance/exports/receipts.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body_of(response))).active
    header, *lines = list(sheet.iter_rows())
    names = [c.value for c in header]
    cells = [dict(zip(names, line)) for line in lines]
    # Oldest first: January's yen gift, then July's pounds.
    yen, pounds = cells
    assert [c["issued_at"].value for c in cells] == [datetime(2026, 1, 2, 23, 5),
                                                    datetime(2026, 7, 1, 0, 30)]
    assert all(c["issued_at"].is_date for c in cells)
    for row, places, values in [(pounds, "0.00", ("25.50", "0.58", "24.92", "5.50")),
                                (yen, "0", ("3000", "108", "2892", "0"))]:
        for name, expected in zip(("amount", "fee", "net", "refunded_amount"), values):
            cell = row[name]
            assert cell.data_type == "n" and cell.number_format == places, (name, cell.value)
            assert Decimal(str(cell.value)) == Decimal(expected)
        assert (row["frequency"].value, row["regular_gift_id"].value) == ("once", None)
    # The header stays in view while scrolling; the columns are wide enough to read.
    assert sheet.freeze_panes == "A2"
    widths = {name: sheet.column_dimensions[cell.column_letter].width
              for name, cell in zip(names, header)}
    assert widths["donation_id"] >= 36 and widths["donor_email"] >= 30
    assert all(width >= len(name) for name, width in widths.items())


def test_receipts_csv_ends_with_frequency_and_an_empty_regular_gift_id(finance):
    receipted()
    got = rows(finance.get("/finance/exports/receipts.csv"))
    assert list(got[0])[-2:] == ["frequency", "regular_gift_id"]
    assert (got[0]["frequency"], got[0]["regular_gift_id"]) == ("once", "")
