"""Who may export, which receipts a period holds, and what bad input answers."""

import csv
import io

import pytest

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
