"""The admin pages appeal admins use on a crisis day: appeals, receipts, payments health."""

import pytest
import stripe
from django.urls import reverse

from appeals.models import Appeal
from donations.models import Donation, Receipt
from tests.factories import DonationFactory
from tests.helpers import create_donation

S = Donation.Status


def test_appeal_list_shows_raised_goal_and_donors_in_a_constant_number_of_queries(
    client, admin_user, demo, django_assert_max_num_queries
):
    client.force_login(admin_user)
    food = demo.designations.get(code="food")
    DonationFactory(appeal=demo, amount=2500, status=S.SUCCEEDED)
    DonationFactory(appeal=demo, designation=food, amount=5000, refunded_amount=1000,
                    status=S.PARTIALLY_REFUNDED)
    DonationFactory(appeal=demo, amount=9000, status=S.PENDING)
    url = reverse("admin:appeals_appeal_changelist")
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(30):
        DonationFactory(appeal=demo, amount=100, status=S.SUCCEEDED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "£95.00" in page  # 25 + 40 + 30 × 1
    assert '<td class="field-donor_count">32</td>' in page

    change = client.get(reverse("admin:appeals_appeal_change", args=[demo.pk])).content.decode()
    assert "<tr><td>Food</td><td>£40.00</td><td>1</td></tr>" in change
    assert "<tr><td>Where most needed</td><td>£55.00</td><td>31</td></tr>" in change


def test_publish_and_close_actions_stamp_the_appeal_and_the_public_sees_it(
    client, admin_user, demo
):
    client.force_login(admin_user)
    draft = Appeal.objects.create(slug="flood-relief", title="Flood relief", summary="s",
                                  story="Water rose.", currency="GBP", goal_amount=100000)
    assert client.get("/appeals/flood-relief/").status_code == 404
    url = reverse("admin:appeals_appeal_changelist")
    client.post(url, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Appeal.Status.LIVE and draft.published_at is not None
    assert "Flood relief" in client.get("/").content.decode()

    client.post(url, {"action": "close", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Appeal.Status.CLOSED and draft.closed_at is not None
    assert "Flood relief" not in client.get("/").content.decode()
    refused = client.post("/api/v1/donations/", {
        "appeal": "flood-relief", "amount": "5.00", "currency": "GBP",
        "email": "late@example.com"}, content_type="application/json")
    assert refused.status_code == 400 and "appeal" in refused.json()


def test_appeal_admin_may_run_appeals_but_not_delete_donations_or_receipts(
    client, demo, django_user_model
):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("amira", is_staff=True)
    user.groups.add(Group.objects.get(name="Appeal admins"))
    client.force_login(user)
    assert client.get(reverse("admin:appeals_appeal_add")).status_code == 200
    gift = DonationFactory(appeal=demo, status=S.SUCCEEDED)
    assert client.get(reverse("admin:donations_donation_change", args=[gift.pk])).status_code == 200
    assert client.post(reverse("admin:donations_donation_delete", args=[gift.pk]),
                       {"post": "yes"}).status_code == 403
    assert Donation.objects.filter(pk=gift.pk).exists()


def test_donations_are_found_by_email_name_receipt_number_and_payment_intent(
    client, admin_user, demo
):
    client.force_login(admin_user)
    gift = DonationFactory(appeal=demo, email="findme@example.com", first_name="Grace",
                           last_name="Hopper", stripe_payment_intent="pi_findme",
                           status=S.SUCCEEDED)
    Receipt.objects.create(donation=gift, year=2026, sequence=77, number="LL-2026-000077",
                           issued_at=gift.created_at)
    DonationFactory(appeal=demo, email="other@example.com", stripe_payment_intent="pi_other")
    url = reverse("admin:donations_donation_changelist")
    for query in ["findme@example.com", "Hopper", "LL-2026-000077", "pi_findme"]:
        page = client.get(url, {"q": query}).content.decode()
        assert str(gift.pk)[:8] in page, query
        assert "other@example.com" not in page, query
    by_designation = client.get(url, {"designation": "__none__", "status__exact": "succeeded"})
    assert str(gift.pk)[:8] in by_designation.content.decode()


@pytest.mark.django_db(transaction=True)
def test_payments_health_shows_a_gift_paid_at_stripe_but_pending_here_and_reconciles_it(
    client, admin_user, demo, live_server, standin
):
    client.force_login(admin_user)
    created = create_donation(live_server.url, email="quiet@example.com").json()
    stripe_api = stripe.StripeClient("sk_test_x", base_addresses={"api": standin})
    pm = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    pi = created["client_secret"].split("_secret_")[0]
    stripe_api.v1.payment_intents.update(pi, params={"payment_method": pm.id})
    stripe_api.v1.payment_intents.confirm(pi)  # webhooks are muted: nobody tells us
    Donation.objects.filter(pk=created["id"]).update(
        created_at=Donation.objects.get(pk=created["id"]).created_at.replace(year=2025))

    url = reverse("admin:donations_payments_health")
    page = client.get(url).content.decode()
    assert "1 donation(s) settled at Stripe but pending here" in page
    assert created["id"][:8] in page and "succeeded" in page
    assert "never" in page  # no webhook has ever come

    client.post(url)  # Reconcile now
    assert Donation.objects.get(pk=created["id"]).status == S.SUCCEEDED
    page = client.get(url).content.decode()
    assert "No drift found" in page
    assert Receipt.objects.filter(donation_id=created["id"]).exists()
    assert '<td data-testid="unsent-receipts">1,' in page  # no worker runs in this test


def test_admin_previews_a_draft_that_the_public_cannot_see(client, admin_user, demo):
    draft = Appeal.objects.create(slug="quiet-draft", title="Quiet draft", summary="s",
                                  story="Not yet.", currency="GBP", goal_amount=100000)
    assert client.get("/appeals/quiet-draft/?preview=1").status_code == 404  # not staff
    client.force_login(admin_user)
    change = client.get(reverse("admin:appeals_appeal_change", args=[draft.pk])).content.decode()
    assert "/appeals/quiet-draft/?preview=1" in change
    preview = client.get("/appeals/quiet-draft/?preview=1")
    assert preview.status_code == 200
    assert "this draft is not public yet" in preview.content.decode()
    assert client.get("/appeals/quiet-draft/").status_code == 404  # no preview: as the public


def test_appeal_page_in_the_admin_offers_the_embed_snippet_and_the_attribution_report(
    client, admin_user, demo
):
    client.force_login(admin_user)
    change = client.get(reverse("admin:appeals_appeal_change", args=[demo.pk])).content.decode()
    assert 'data-testid="embed-snippet"' in change
    assert "/appeals/emergency-appeal/embed/" in change
    assert reverse("appeal-attribution-report", args=["emergency-appeal"]) in change


def test_superuser_exports_then_erases_a_donors_personal_data_from_the_admin(
    client, admin_user, demo
):
    client.force_login(admin_user)
    gift = DonationFactory(appeal=demo, email="Erase.Me@example.com", first_name="Erin",
                           last_name="Rase", amount=4200, status=S.SUCCEEDED)
    url = reverse("admin:donations_donation_changelist")
    exported = client.post(url, {"action": "export_personal_data", "_selected_action": [gift.pk]})
    assert exported["Content-Disposition"].startswith("attachment")
    assert "Erin" in exported.content.decode()

    asked = client.post(url, {"action": "erase_personal_data", "_selected_action": [gift.pk]})
    assert "Erase the personal data of 1 donor(s)?" in asked.content.decode()
    gift.refresh_from_db()
    assert gift.first_name == "Erin"  # nothing erased before the confirmation

    client.post(url, {"action": "erase_personal_data", "_selected_action": [gift.pk],
                      "confirm": "yes"})
    gift.refresh_from_db()
    assert (gift.first_name, gift.last_name) == ("", "")
    assert "erase.me" not in gift.email.lower()
    assert (gift.amount, gift.status) == (4200, S.SUCCEEDED)  # what finance keeps, stays


def test_staff_who_are_not_superusers_have_no_personal_data_actions(client, demo,
                                                                    django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("amira", is_staff=True)
    user.groups.add(Group.objects.get(name="Appeal admins"))
    client.force_login(user)
    gift = DonationFactory(appeal=demo, status=S.SUCCEEDED)
    page = client.get(reverse("admin:donations_donation_changelist")).content.decode()
    assert "erase_personal_data" not in page
    answer = client.post(reverse("admin:donations_donation_changelist"),
                         {"action": "erase_personal_data", "_selected_action": [gift.pk],
                          "confirm": "yes"})
    assert Donation.objects.get(pk=gift.pk).email == gift.email
    assert answer.status_code in (200, 302, 403)
