"""One donor's data (UK GDPR): `manage.py donor_data EMAIL --export PATH / --erase`, through gifts
paid at the stand-in, as finance and the donor would see the result."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from donations.models import BlockedAttempt, Donation, DonationEvent, GiftAidDeclaration
from tests.helpers import create_donation, give_card

pytestmark = pytest.mark.django_db(transaction=True)
GIFT_AID = {"gift_aid": True, "address_line1": "12 Acacia Avenue", "postcode": "SW1A 1AA"}


def paid(live_server, **body):
    created = create_donation(live_server.url, body, utm_source="news",
                              ref="https://news.example/flood")
    assert created.status_code == 201, created.text
    answer = give_card(live_server.url, created.json()["id"], "4242424242424242")
    assert answer.json()["status"] == "succeeded", answer.text
    return Donation.objects.get(pk=created.json()["id"])


@pytest.fixture
def gifts(demo, live_server):
    """Ada gave twice (once with Gift Aid, under another case of her email); Bob once."""
    plain = paid(live_server, email="ada@example.com")
    with_gift_aid = paid(live_server, email="Ada@Example.com", **GIFT_AID)
    other = paid(live_server, email="bob@example.com", first_name="Bob", last_name="Jones")
    GiftAidDeclaration.objects.filter(donation=with_gift_aid).update(
        ip_address="203.0.113.9", user_agent="Firefox")
    BlockedAttempt.objects.create(reason=BlockedAttempt.Reason.HONEYPOT,
                                  email="ada@example.com", ip_address="203.0.113.9")
    return plain, with_gift_aid, other


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("donor_data", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_export_holds_every_gift_declaration_receipt_and_event_of_that_email(gifts, tmp_path):
    plain, with_gift_aid, _ = gifts
    said = run("ADA@example.com", "--export", str(tmp_path / "ada.json"))
    data = json.loads((tmp_path / "ada.json").read_text())

    assert "Exported 2 donation(s) and 1 blocked attempt(s)" in said
    assert [d["id"] for d in data["donations"]] == [str(plain.pk), str(with_gift_aid.pk)]
    first, second = data["donations"]
    assert first["attribution"]["ref"] == "https://news.example/flood"
    assert first["receipt"]["number"] == plain.receipt.number
    assert first["amount_minor"] == 2500 and first["currency"] == "GBP"
    assert second["declaration"]["address_line1"] == "12 Acacia Avenue"
    assert second["declaration"]["ip_address"] == "203.0.113.9"
    assert "created" in [e["kind"] for e in first["events"]]
    assert data["blocked_attempts"][0]["ip_address"] == "203.0.113.9"
    assert "bob" not in json.dumps(data).lower()
    assert "HMRC" in data["retention"]
    assert DonationEvent.objects.filter(kind="personal_data_exported").count() == 2


def test_erase_removes_the_person_and_keeps_receipts_amounts_and_the_hmrc_declaration(gifts):
    plain, with_gift_aid, other = gifts
    receipts = {plain.pk: plain.receipt.number, with_gift_aid.pk: with_gift_aid.receipt.number}

    said = run("ada@example.com", "--erase")

    assert "Erased ada@example.com from 2 donation(s) and 1 blocked attempt(s)" in said
    assert "Name and home address kept on 1 Gift Aid donation(s) for HMRC" in said
    assert "Kept: amounts, dates" in said
    plain.refresh_from_db()
    with_gift_aid.refresh_from_db()
    assert plain.email.endswith("@erased.invalid") and plain.email != with_gift_aid.email
    assert (plain.first_name, plain.last_name, plain.ref, plain.utm_source) == ("", "", "", "")
    assert plain.anonymous
    # Finance keeps the money and the receipt numbers.
    assert plain.receipt.number == receipts[plain.pk] and plain.amount == 2500
    assert plain.status == "succeeded" and plain.succeeded_at is not None
    # HMRC: the declaration's name, home address and wording stay; the device details go.
    declaration = with_gift_aid.declaration
    assert (declaration.first_name, declaration.address_line1, declaration.postcode) == (
        "Ada", "12 Acacia Avenue", "SW1A 1AA")
    assert declaration.wording and declaration.ip_address is None and declaration.user_agent == ""
    assert with_gift_aid.email.endswith("@erased.invalid")
    assert BlockedAttempt.objects.get().email == ""
    # Nobody else is touched, and nothing is left under that email.
    other.refresh_from_db()
    assert other.email == "bob@example.com" and other.first_name == "Bob"
    assert not Donation.objects.filter(email__iexact="ada@example.com").exists()
    assert DonationEvent.objects.filter(kind="personal_data_erased").count() == 2
    with pytest.raises(CommandError, match="Nothing is held"):
        run("ada@example.com", "--erase")


def test_gift_aid_details_older_than_hmrc_needs_are_erased_too(gifts):
    _, with_gift_aid, _ = gifts
    Donation.objects.filter(pk=with_gift_aid.pk).update(
        created_at=timezone.now() - dt.timedelta(days=365 * 8))

    assert "kept on 0 Gift Aid donation(s)" in run("ada@example.com", "--erase")
    declaration = GiftAidDeclaration.objects.get(donation=with_gift_aid)
    assert (declaration.first_name, declaration.address_line1) == ("", "")
    assert declaration.wording  # what was declared, with no one attached


def test_the_erasure_shows_in_the_audit_log(gifts, admin_client):
    run("ada@example.com", "--export", "-")
    run("ada@example.com", "--erase")
    page = admin_client.get("/admin/audit/", {"category": "personal_data"}).content.decode()
    assert page.count("personal data erased") == 2 and page.count("personal data exported") == 2
    assert "manage.py donor_data" in page
