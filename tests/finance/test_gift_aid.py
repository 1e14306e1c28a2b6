"""gift-aid.csv as HMRC's schedule wants it, the gifts it leaves out (and why, in admin), and
over-claims after a claim."""

import csv
import io

import pytest

from donations.models import Dispute
from finance.giftaid import GIFT_AID_COLUMNS
from tests.finance.conftest import local, receipted

URL = "/finance/exports/gift-aid.csv"


def schedule(client, query="") -> tuple[list[str], list[dict], object]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    header = next(csv.reader(io.StringIO(text)))
    return header, list(csv.DictReader(io.StringIO(text))), response


def test_schedule_columns_and_cells_follow_hmrc(finance):
    receipted(issued_at=local(2026, 7, 4, 9), declared={"postcode": " s19   2bd "},
              first_name="Mary-Ann", last_name="House-Martin", gift_amount=2000, amount=2050,
              cover_fees=True)

    header, rows, _ = schedule(finance, "from=2026-07-01&to=2026-07-31")

    assert header == GIFT_AID_COLUMNS
    assert rows == [{
        "title": "", "first_name": "Mary Ann", "last_name": "House Martin",
        "house_name_or_number": "12", "postcode": "S19 2BD", "aggregated_donations": "",
        "sponsored_event": "", "donation_date": "04/07/26",
        "amount": "20.00",  # the gift, not the covered fee
    }]


def test_partly_refunded_gift_is_claimed_net_of_the_refund(finance):
    receipted(declared=True, amount=5000, refunded_amount=1250, status="partially_refunded")
    _, rows, _ = schedule(finance)
    assert [r["amount"] for r in rows] == ["37.50"]


@pytest.mark.parametrize("fields, why", [
    ({"currency": "EUR", "declared": True}, "Not a GBP gift"),
    ({"declared": None}, "No Gift Aid declaration"),
    ({"declared": {"postcode": "75001"}}, "is not a UK postcode"),
    ({"declared": {"postcode": "SW1A 1AA X"}}, "is not a UK postcode"),
    ({"declared": True, "refunded_amount": 2500, "status": "refunded"}, "Wholly refunded"),
    ({"declared": True, "status": "disputed"}, "Disputed"),
    ({"declared": {"address_line1": ""}}, "no house name or number"),
])
def test_gifts_the_claim_must_leave_out_are_listed_in_admin_with_why(
        finance, admin_client, fields, why):
    from tests.factories import AppealFactory

    if fields.get("currency") == "EUR":
        fields["appeal"] = AppealFactory(slug="euro-appeal", currency="EUR")
    donation = receipted(gift_aid=True, **fields)

    _, rows, _ = schedule(finance)
    assert rows == []
    page = admin_client.get("/admin/finance/giftaidreview/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(donation.pk) in html and why in html


def test_dispute_leaves_the_gift_out_until_won(finance):
    donation = receipted(declared=True, status="disputed")
    Dispute.objects.create(stripe_id="dp_1", donation=donation, amount=2500, status="needs_response")
    assert schedule(finance)[1] == []
    # Won: the donations service puts the gift back to succeeded.
    type(donation).objects.filter(pk=donation.pk).update(status="succeeded")
    assert len(schedule(finance)[1]) == 1


def test_long_names_are_cut_to_35_and_the_cut_is_reported(finance, admin_client):
    long_last = "Wolfeschlegelsteinhausenbergerdorff-Smith"
    donation = receipted(declared={"last_name": long_last})
    _, rows, response = schedule(finance)
    assert rows[0]["last_name"] == "Wolfeschlegelsteinhausenbergerdorff"
    assert len(rows[0]["last_name"]) == 35
    assert response["X-Gift-Aid-Warnings"] == "1"
    from finance.models import ExportLog

    log = ExportLog.objects.get(kind="gift-aid.csv")
    assert log.warnings[0]["donation_id"] == str(donation.pk)
    assert "last_name cut to 35" in log.warnings[0]["warning"]
    assert "last_name cut to 35" in admin_client.get("/admin/finance/giftaidreview/").content.decode()


def test_formula_in_a_declared_name_is_neutralised_in_the_schedule(finance):
    receipted(declared={"first_name": "@SUM(A1)", "last_name": "+Lovelace"})
    _, rows, _ = schedule(finance)
    assert (rows[0]["first_name"], rows[0]["last_name"]) == ("'@SUM(A1)", "'+Lovelace")


def test_claim_then_refund_lists_an_over_claim_for_the_next_claim(finance):
    july = receipted(issued_at=local(2026, 7, 4, 9), declared=True, amount=4000)
    receipted(issued_at=local(2026, 7, 5, 9), declared=True, amount=1000)

    made = finance.post("/api/v1/finance/gift-aid/claims/",
                        {"from": "2026-07-01", "to": "2026-07-31", "reference": "HMRC-1"},
                        content_type="application/json")
    assert made.status_code == 201, made.content
    claim = made.json()
    assert (claim["lines"], claim["total"], claim["adjustment_total"]) == (2, "50.00", "0.00")
    first = schedule(finance, f"claim={claim['id']}")[1]
    assert [r["amount"] for r in first] == ["40.00", "10.00"]
    # Claimed gifts are not put in a second schedule.
    assert schedule(finance, "from=2026-07-01&to=2026-07-31")[1] == []

    type(july).objects.filter(pk=july.pk).update(refunded_amount=1000,
                                                 status="partially_refunded")
    over = finance.get("/finance/exports/gift-aid-adjustments.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(over.streaming_content).decode())))
    assert rows == [{
        "claim": str(claim["id"]), "receipt_number": july.receipt.number,
        "donation_id": str(july.pk), "claimed": "40.00", "claimable_now": "30.00",
        "over_claimed": "10.00", "gift_aid_to_repay": "2.50", "reason": "Refunded after the claim.",
    }]

    august = receipted(issued_at=local(2026, 8, 2, 9), declared=True, amount=2000)
    made = finance.post("/api/v1/finance/gift-aid/claims/",
                        {"from": "2026-08-01", "to": "2026-08-31"},
                        content_type="application/json").json()
    assert (made["total"], made["adjustment_total"]) == ("20.00", "10.00")
    assert [r["amount"] for r in schedule(finance, f"claim={made['id']}")[1]] == ["20.00"]
    # Reported once: nothing left to adjust.
    over = finance.get("/finance/exports/gift-aid-adjustments.csv")
    assert b"".join(over.streaming_content).decode().count("\r\n") == 1
    # The first claim's schedule downloads as it was.
    assert [r["amount"] for r in schedule(finance, f"claim={claim['id']}")[1]] == [
        "40.00", "10.00"]
    assert august.gift_aid_claim_line.claim_id == made["id"]


def test_claim_needs_a_period_and_something_to_claim(finance):
    bad = finance.post("/api/v1/finance/gift-aid/claims/", {}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"from", "to"}
    empty = finance.post("/api/v1/finance/gift-aid/claims/",
                         {"from": "2026-07-01", "to": "2026-07-31"},
                         content_type="application/json")
    assert empty.status_code == 400
    assert "Nothing to claim" in empty.json()["non_field_errors"][0]


def test_a_claim_takes_at_most_hmrc_s_limit_and_the_next_takes_the_rest(finance, settings):
    assert settings.GIFT_AID_CLAIM_MAX_DONATIONS == 1000  # "up to 1,000 Gift Aid donors"
    settings.GIFT_AID_CLAIM_MAX_DONATIONS = 2
    gifts = [receipted(issued_at=local(2026, 7, day, 9), declared=True, amount=1000 * day)
             for day in (5, 1, 4, 2, 3)]
    july = {"from": "2026-07-01", "to": "2026-07-31"}

    made = [finance.post("/api/v1/finance/gift-aid/claims/", july,
                         content_type="application/json") for _ in range(3)]

    assert [m.status_code for m in made] == [201, 201, 201]
    claims = [m.json() for m in made]
    assert [(c["lines"], c["remaining"]) for c in claims] == [(2, 3), (2, 1), (1, 0)]
    # Oldest first: each schedule holds whole days, in order.
    assert [[r["donation_date"] for r in schedule(finance, f"claim={c['id']}")[1]]
            for c in claims] == [["01/07/26", "02/07/26"], ["03/07/26", "04/07/26"],
                                 ["05/07/26"]]
    assert sum(g.gift_aid_claim_line.amount for g in
               type(gifts[0]).objects.filter(pk__in=[g.pk for g in gifts])) == 15000
    fourth = finance.post("/api/v1/finance/gift-aid/claims/", july,
                          content_type="application/json")
    assert fourth.status_code == 400 and "Nothing to claim" in fourth.content.decode()
