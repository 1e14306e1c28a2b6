"""Appeals as the public sees them: the API, the pages, the widget, and the demo seed."""

import pytest
from django.core.cache import cache
from django.core.management import call_command

from appeals.models import Appeal, Designation, SuggestedAmount
from donations.services import stripe_events
from donations.models import Donation
from tests.factories import AppealFactory, DesignationFactory, DonationFactory

pytestmark = pytest.mark.django_db

S = Donation.Status


@pytest.fixture
def draft(demo):
    return AppealFactory(slug="secret-draft", title="Secret Draft Appeal",
                         status=Appeal.Status.DRAFT)


# --- API ----------------------------------------------------------------------------------


def test_api_list_shows_live_appeals_only(client, draft):
    answer = client.get("/api/v1/appeals/")

    assert answer.status_code == 200
    slugs = {a["slug"] for a in answer.json()}
    assert slugs == {"emergency-appeal", "typhoon-relief-japan", "earthquake-relief"}
    assert all(a["status"] == "live" for a in answer.json())


def test_api_detail_of_a_closed_appeal_says_closed(client, demo):
    answer = client.get("/api/v1/appeals/winter-appeal-2025/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "closed"


def test_api_detail_of_a_draft_is_404(client, draft):
    assert client.get("/api/v1/appeals/secret-draft/").status_code == 404
    assert client.get("/api/v1/appeals/no-such-appeal/").status_code == 404


def test_api_detail_has_the_fields_publishers_rely_on(client, demo):
    answer = client.get("/api/v1/appeals/emergency-appeal/")

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"slug", "title", "summary", "currency", "goal_amount", "raised_amount",
                         "donor_count", "designations", "suggested_amounts", "status", "url"}
    assert body["slug"] == "emergency-appeal"
    assert body["currency"] == "GBP"
    assert body["goal_amount"] == "500000.00"
    assert body["raised_amount"] == "0.00"
    assert body["donor_count"] == 0
    assert body["status"] == "live"
    assert body["suggested_amounts"] == ["10.00", "25.00", "50.00", "100.00"]
    assert body["designations"] == [
        {"code": "food", "name": "Food"},
        {"code": "medicine", "name": "Medicine"},
        {"code": "shelter", "name": "Shelter"},
        {"code": "water", "name": "Water"},
    ]
    assert body["url"].endswith("/appeals/emergency-appeal/")
    assert body["url"].startswith("http")


def test_api_amounts_of_the_yen_appeal_are_whole_yen(client, demo):
    body = client.get("/api/v1/appeals/typhoon-relief-japan/").json()
    assert body["currency"] == "JPY"
    assert body["goal_amount"] == "10000000"
    assert body["raised_amount"] == "0"
    assert body["suggested_amounts"] == ["1000", "3000", "10000"]


def test_raised_and_donors_count_succeeded_gifts_less_refunds_without_disputed(client, demo):
    food = demo.designations.get(code="food")
    DonationFactory(appeal=demo, amount=2500, status=S.SUCCEEDED)
    DonationFactory(appeal=demo, designation=food, amount=1100, gift_amount=1000,
                    cover_fees=True, status=S.SUCCEEDED)  # the covered fee is not raised
    DonationFactory(appeal=demo, amount=5000, refunded_amount=2000,
                    status=S.PARTIALLY_REFUNDED)  # counts 30.00
    DonationFactory(appeal=demo, amount=4000, refunded_amount=4000, status=S.REFUNDED)
    DonationFactory(appeal=demo, amount=7000, status=S.DISPUTED)
    DonationFactory(appeal=demo, amount=8000, status=S.PENDING)
    DonationFactory(appeal=demo, amount=9000, status=S.FAILED)
    DonationFactory(appeal=demo, amount=9500, status=S.CANCELED)
    other = Appeal.objects.get(slug="winter-appeal-2025")
    DonationFactory(appeal=other, amount=6000, status=S.SUCCEEDED)  # another appeal's

    body = client.get("/api/v1/appeals/emergency-appeal/").json()
    listed = {a["slug"]: a for a in client.get("/api/v1/appeals/").json()}["emergency-appeal"]
    page = client.get("/appeals/emergency-appeal/").content.decode()

    assert body["raised_amount"] == listed["raised_amount"] == "65.00"  # 25 + 10 + 30
    assert body["donor_count"] == listed["donor_count"] == 3
    assert '<strong data-testid="raised">£65.00</strong>' in page
    assert '<span data-testid="donors">3</span>' in page
    closed = client.get("/api/v1/appeals/winter-appeal-2025/").json()
    assert (closed["raised_amount"], closed["donor_count"]) == ("60.00", 1)


def test_a_dispute_won_counts_again(client, demo, django_capture_on_commit_callbacks):
    """A won dispute returns the donation to what it was: it counts again, at once (the
    change invalidates the cached totals)."""
    DonationFactory(appeal=demo, amount=2500, status=S.SUCCEEDED,
                    stripe_charge="ch_disputed")
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "25.00"
    dispute = {"id": "dp_1", "charge": "ch_disputed", "amount": 2500, "status": "needs_response"}

    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.donation_record_dispute(dispute=dispute, source="webhook")
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "0.00"

    with django_capture_on_commit_callbacks(execute=True):
        stripe_events.donation_record_dispute(dispute={**dispute, "status": "won"},
                                              source="webhook")
    body = client.get("/api/v1/appeals/emergency-appeal/").json()
    assert (body["raised_amount"], body["donor_count"]) == ("25.00", 1)


def test_totals_changed_behind_the_services_back_show_within_the_cache_lifetime(
    client, demo, settings
):
    gift = DonationFactory(appeal=demo, amount=2500, status=S.DISPUTED)
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "0.00"
    Donation.objects.filter(pk=gift.pk).update(status=S.SUCCEEDED)  # no service, no signal
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "0.00"
    cache.clear()  # what the TTL (APPEAL_TOTALS_TTL seconds) does on its own
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "25.00"
    assert settings.APPEAL_TOTALS_TTL <= 10


def test_raised_on_a_yen_appeal_is_whole_yen(client, demo):
    typhoon = Appeal.objects.get(slug="typhoon-relief-japan")
    DonationFactory(appeal=typhoon, amount=3000, status=S.SUCCEEDED)
    DonationFactory(appeal=typhoon, amount=10000, refunded_amount=1000,
                    status=S.PARTIALLY_REFUNDED)
    body = client.get("/api/v1/appeals/typhoon-relief-japan/").json()
    assert (body["raised_amount"], body["donor_count"]) == ("12000", 2)


def test_api_is_read_only(client, demo):
    answer = client.post("/api/v1/appeals/", data={}, content_type="application/json")
    assert answer.status_code in (403, 405)
    answer = client.delete("/api/v1/appeals/emergency-appeal/")
    assert answer.status_code in (403, 405)
    assert Appeal.objects.filter(slug="emergency-appeal").exists()


# --- pages --------------------------------------------------------------------------------


def test_home_page_lists_live_appeals_only(client, draft):
    answer = client.get("/")

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Emergency Appeal: Floods" in page and 'href="/appeals/emergency-appeal/"' in page
    assert "Typhoon Relief: Japan" in page
    assert "Winter Appeal 2025" not in page
    assert "Secret Draft Appeal" not in page


def test_appeal_page_shows_title_designations_amounts_and_the_form(client, demo):
    answer = client.get("/appeals/emergency-appeal/")

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "<h1>Emergency Appeal: Floods</h1>" in page
    for name in ("Food", "Medicine", "Shelter", "Water"):
        assert f'<option value="{name.lower()}">{name}</option>' in page
    for shown in ("£10.00", "£25.00", "£50.00", "£100.00"):
        assert shown in page
    assert 'id="donate-form"' in page
    assert "£500,000.00" in page  # the goal
    assert "This appeal is closed" not in page


def test_appeal_page_has_the_forms_attribution_inputs_for_its_script_to_fill(client, demo):
    """Filled from the address by static/js/attribution.js (tests/browser/test_attribution.py):
    the page is the same for every reader (docs/page-cache.md)."""
    page = client.get(
        "/appeals/emergency-appeal/?utm_source=news&utm_campaign=floods&ref=https://n.example/a"
    ).content.decode()
    for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "ref"):
        assert f'<input type="hidden" name="{name}" value="">' in page
    assert '<script src="/static/js/attribution.js" defer></script>' in page
    assert "news" not in page and "n.example" not in page


def test_attribution_in_the_query_string_cannot_inject_markup(client, demo):
    page = client.get('/appeals/emergency-appeal/?ref="><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)</script>" not in page


def test_closed_appeal_page_says_closed_and_takes_no_gift(client, demo):
    answer = client.get("/appeals/winter-appeal-2025/")

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "This appeal is closed" in page
    assert 'id="donate-form"' not in page
    assert "donate.js" not in page


def test_draft_and_unknown_appeal_pages_are_404(client, draft):
    assert client.get("/appeals/secret-draft/").status_code == 404
    assert client.get("/appeals/secret-draft/embed/").status_code == 404
    assert client.get("/appeals/no-such-appeal/").status_code == 404


def test_embed_widget_may_be_framed_but_the_appeal_page_may_not(client, demo):
    embed = client.get("/appeals/emergency-appeal/embed/")
    page = client.get("/appeals/emergency-appeal/")

    assert embed.status_code == 200
    assert "Emergency Appeal: Floods" in embed.content.decode()
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors 'none'" not in embed.headers.get("Content-Security-Policy", "")
    assert page.headers["X-Frame-Options"] == "DENY"


def test_embed_widget_of_a_closed_appeal_says_closed(client, demo):
    embed = client.get("/appeals/winter-appeal-2025/embed/")
    assert embed.status_code == 200
    assert "This appeal is closed" in embed.content.decode()


def test_draft_appeal_with_donations_is_still_hidden(client, draft):
    DesignationFactory(appeal=draft, code="secret")
    DonationFactory(appeal=draft, status=S.SUCCEEDED)
    assert "secret-draft" not in {a["slug"] for a in client.get("/api/v1/appeals/").json()}
    assert client.get("/api/v1/appeals/secret-draft/").status_code == 404


# --- health -------------------------------------------------------------------------------


def test_healthz_answers_200(client):
    assert client.get("/healthz").status_code == 200


def test_readyz_answers_200_with_database_broker_and_stand_in_up(client, standin):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "ok"


# --- seed ---------------------------------------------------------------------------------


def _counts():
    return (Appeal.objects.count(), Designation.objects.count(), SuggestedAmount.objects.count(),
            tuple(Appeal.objects.order_by("slug").values_list("slug", "status", "currency")))


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", verbosity=0)
    first = _counts()
    call_command("seed_demo", verbosity=0)

    assert _counts() == first
    assert first[3] == (
        ("earthquake-relief", "live", "EUR"),
        ("emergency-appeal", "live", "GBP"),
        ("typhoon-relief-japan", "live", "JPY"),
        ("winter-appeal-2025", "closed", "GBP"),
    )
    codes = list(Appeal.objects.get(slug="emergency-appeal").designations.values_list("code",
                                                                                       flat=True))
    assert codes == ["food", "medicine", "shelter", "water"]
    assert Appeal.objects.get(slug="winter-appeal-2025").successor.slug == "emergency-appeal"


def test_seed_demo_has_a_euro_appeal_with_funds_and_euro_amounts(client, db):
    call_command("seed_demo", verbosity=0)

    body = client.get("/api/v1/appeals/earthquake-relief/").json()
    assert (body["currency"], body["status"]) == ("EUR", "live")
    assert [d["code"] for d in body["designations"]] == ["shelter", "medicine", "water"]
    assert body["suggested_amounts"] == ["10.00", "25.00", "50.00", "100.00"]
    assert body["goal_amount"] == "250000.00"
