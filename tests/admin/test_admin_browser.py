"""Appeal admins in Django admin, in Debian's Chromium: publish an appeal, refund a gift."""

import re

import pytest
import stripe
from playwright.sync_api import expect

from donations.models import Donation, Refund
from tests.admin.conftest import run_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_and_publishes_an_appeal_and_it_appears_on_the_home_page(
    admin_page, live_server, demo, settings, tmp_path
):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    photo = tmp_path / "earthquake.png"
    Image.new("RGB", (96, 48), (120, 90, 60)).save(photo)
    page = admin_page
    page.goto(f"{live_server.url}/admin/appeals/appeal/add/")
    page.get_by_label("Title").press_sequentially("Earthquake response")  # keyup: slug JS
    expect(page.get_by_label("Slug")).to_have_value("earthquake-response")
    page.get_by_label("Summary").fill("Shelter and clean water after the earthquake.")
    page.get_by_label("Story").fill("The ground shook for forty seconds.\n\nFamilies slept outside.")
    page.locator("#id_image").set_input_files(str(photo))
    page.locator("#id_image_alt_en").fill("Rubble of a school after the earthquake")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Goal amount").fill("50,000")  # pounds, as people write them
    page.locator("#id_designations-0-code").fill("shelter")
    page.locator("#id_designations-0-name_en").fill("Shelter")  # English: the fallback
    page.locator("#id_suggested_amounts-0-amount").fill("25")
    page.locator("#id_suggested_amounts-0-impact_en").fill("a tent for a family")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("Earthquake response")).to_have_count(0)  # a draft

    page.goto(f"{live_server.url}/admin/appeals/appeal/")
    run_action(page, "Earthquake response", "publish")
    expect(page.locator(".messagelist")).to_contain_text("1 appeal(s) published")

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("Earthquake response")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Earthquake response")
    expect(page.get_by_text("a tent for a family")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(r"^£25\.00"))).to_be_visible()
    expect(page.locator(".progress-figures")).to_contain_text("of £50,000.00 goal")
    hero = page.get_by_role("img", name="Rubble of a school after the earthquake")
    expect(hero).to_have_attribute("src", re.compile(r"^/media/appeals/earthquake.*\.webp$"))
    assert hero.evaluate("img => img.complete && img.naturalWidth") == 96  # served, decoded


def test_partial_then_full_refund_through_the_admin(admin_page, live_server, paid_gift, standin):
    page = admin_page
    change = f"{live_server.url}/admin/donations/donation/{paid_gift}/change/"
    page.goto(change)
    page.get_by_role("link", name="Refund…").click()
    expect(page.get_by_test_id("refundable")).to_have_text("£25.00")
    page.get_by_label("Amount (GBP)").fill("10.00")
    page.get_by_label("Reason (kept in the history)").fill("Asked by the donor")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".messagelist")).to_contain_text("Refunded £10.00")
    expect(page.locator("div.field-status")).to_contain_text("Partially refunded")
    expect(page.locator("div.field-refunded_display")).to_contain_text("£10.00")

    page.goto(f"{live_server.url}/appeals/emergency-appeal/")
    expect(page.get_by_test_id("raised")).to_have_text("£15.00")

    page.goto(change)
    page.get_by_role("link", name="Refund…").click()
    expect(page.get_by_test_id("refundable")).to_have_text("£15.00")
    page.get_by_label("Amount (GBP)").fill("15.00")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator("div.field-status")).to_contain_text("Refunded")
    expect(page.get_by_role("link", name="Refund…")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/donations/receipt/")
    expect(page.get_by_role("row", name=re.compile(paid_gift))).to_contain_text("refunded")
    page.goto(f"{live_server.url}/appeals/emergency-appeal/")
    expect(page.get_by_test_id("raised")).to_have_text("£0.00")

    donation = Donation.objects.get(pk=paid_gift)
    stripe_api = stripe.StripeClient("sk_test_x", base_addresses={"api": standin})
    refunds = [stripe_api.v1.refunds.retrieve(r.stripe_id) for r in Refund.objects.all()]
    assert sorted(r.amount for r in refunds) == [1000, 1500]
    assert {r.payment_intent for r in refunds} == {donation.stripe_payment_intent}


def test_reconcile_now_clicked_on_payments_health_brings_in_a_gift_stripe_settled(
    admin_page, live_server, demo, standin, django_user_model
):
    """The button an admin with the reconcile permission clicks: a gift paid at Stripe whose
    news never reached us is succeeded afterwards, with its receipt."""
    from django.contrib.auth.models import Permission

    from tests.donations.test_reconcile import paid_at_stripe_unheard

    django_user_model.objects.get(username="amira").user_permissions.add(
        Permission.objects.get(codename="reconcile_stripe"))
    api = stripe.StripeClient("sk_test_standin", base_addresses={"api": standin})
    state = paid_at_stripe_unheard(live_server, api)  # webhooks muted: nobody tells us

    admin_page.goto(f"{live_server.url}/admin/donations/donation/health/")
    admin_page.get_by_role("button", name="Reconcile now").click()

    expect(admin_page.locator(".messagelist")).to_contain_text("Reconciled with Stripe")
    gift = Donation.objects.get(stripe_payment_intent=state.id)
    assert gift.status == "succeeded"
    assert gift.receipt.number.startswith("LL-")
