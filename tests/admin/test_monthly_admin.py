"""Monthly gifts in Django admin: the list, the gift's page with its months and history, the
cancel an admin clicks (Chromium, signed in with two-factor), the appeal's monthly figures,
and the audit log (docs/monthly-gifts.md, "In the admin")."""

import datetime as dt
import re

import pytest
import stripe
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from donations.models import RegularGift, RegularGiftEvent
from donations.monthly_selectors import regular_gift_next_collection
from donations.services.regular_gifts import regular_gift_cancel
from tests.donations.test_monthly import paid_monthly, start_monthly
from tests.test_security import code_for

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def superuser_page(browser, live_server, django_user_model):
    """A superuser signed in to the admin in Chromium with password and authenticator code."""
    user = django_user_model.objects.create_superuser("root", "root@charity.example", PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(code_for(device))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("administration")
    yield page
    context.close()


@pytest.mark.browser
def test_an_admin_finds_a_monthly_gift_and_cancels_it_with_a_click(
        superuser_page, live_server, demo, standin):
    page = superuser_page
    gift = paid_monthly(live_server.url, email="monthly@example.com", first_name="Olena",
                        last_name="Kovalenko")
    other = paid_monthly(live_server.url, email="other@example.com")
    stored = RegularGift.objects.get(pk=gift["regular_gift"])

    page.goto(f"{live_server.url}/admin/donations/regulargift/")
    row = page.get_by_role("row", name=re.compile("monthly@example.com"))
    expect(row).to_contain_text("£25.00")
    expect(row).to_contain_text("Active")
    page.locator("#searchbar").fill(stored.stripe_subscription)  # Stripe's id finds it
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row", name=re.compile("other@example.com"))).to_have_count(0)
    page.get_by_role("link", name=re.compile("Olena Kovalenko")).click()

    expect(page.locator("div.field-status")).to_contain_text("Active")
    payments = page.locator("#payments-group")
    expect(payments).to_contain_text(gift["id"])
    expect(payments).to_contain_text("LL-")  # the month's receipt number
    page.get_by_role("link", name="Cancel monthly gift…").click()
    expect(page.get_by_text("£25.00 a month")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel the monthly gift").click()

    expect(page.locator(".messagelist")).to_contain_text("Stripe collects nothing more")
    expect(page.locator("div.field-status")).to_contain_text("Canceled")
    expect(page.locator("div.field-canceled_by")).to_contain_text("An admin")
    expect(page.locator("#events-group")).to_contain_text("root")
    expect(page.get_by_role("link", name="Cancel monthly gift…")).to_have_count(0)
    api = stripe.StripeClient("sk_test_admin", base_addresses={"api": standin})
    assert api.v1.subscriptions.retrieve(stored.stripe_subscription).status == "canceled"
    assert RegularGift.objects.get(pk=other["regular_gift"]).status == "active"

    page.goto(f"{live_server.url}/admin/audit/")
    expect(page.get_by_role("row", name=re.compile("monthly gift canceled"))).to_contain_text(
        "monthly@example.com")


def test_staff_without_the_cancel_permission_see_no_button_and_their_post_is_refused(
        client, demo, live_server, django_user_model):
    from django.contrib.auth.models import Permission

    gift = paid_monthly(live_server.url)
    viewer = django_user_model.objects.create_user("vic", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_regulargift", "view_donation"]))
    client.force_login(viewer)

    page = client.get(reverse("admin:donations_regulargift_change", args=[gift["regular_gift"]]))
    assert page.status_code == 200 and "Cancel monthly gift" not in page.content.decode()
    refused = client.post(reverse("admin:donations_regulargift_cancel",
                                  args=[gift["regular_gift"]]))
    assert refused.status_code == 403
    assert RegularGift.objects.get(pk=gift["regular_gift"]).status == "active"


def test_appeal_admins_may_cancel_monthly_gifts(client, demo, live_server, appeal_admin):
    gift = paid_monthly(live_server.url)
    client.force_login(appeal_admin)

    assert "Cancel monthly gift" in client.get(reverse(
        "admin:donations_regulargift_change", args=[gift["regular_gift"]])).content.decode()
    client.post(reverse("admin:donations_regulargift_cancel", args=[gift["regular_gift"]]))
    assert RegularGift.objects.get(pk=gift["regular_gift"]).canceled_by == "admin"


def test_a_failed_cancel_says_stripe_was_not_reached_and_the_gift_still_collects(
        client, demo, live_server, admin_user, stripe_calls):
    gift = paid_monthly(live_server.url)
    client.force_login(admin_user)
    stripe_calls.fail("DELETE", r"/v1/subscriptions/")

    answer = client.post(reverse("admin:donations_regulargift_cancel",
                                 args=[gift["regular_gift"]]), follow=True)

    assert "Stripe could not be reached" in answer.content.decode()
    assert RegularGift.objects.get(pk=gift["regular_gift"]).status == "active"


def test_the_appeal_page_shows_monthly_donors_the_amount_promised_and_failed_payments(
        client, demo, live_server, admin_user):
    kept = paid_monthly(live_server.url)  # £25.00
    paid_monthly(live_server.url, amount="10.00", cover_fees=True)  # £10.00 given
    start_monthly(live_server.url)  # first month unpaid: not a monthly donor yet
    ended = paid_monthly(live_server.url)
    regular_gift_cancel(gift_id=ended["regular_gift"], by="donor")
    # A month failed at Stripe this month (as the webhook records it), then again.
    gift = RegularGift.objects.get(pk=kept["regular_gift"])
    for _ in range(2):
        RegularGiftEvent.objects.create(regular_gift=gift, kind="status", by="stripe",
                                        from_status="active", to_status="past_due")
    RegularGift.objects.filter(pk=gift.pk).update(status="past_due")
    client.force_login(admin_user)

    page = client.get(reverse("admin:appeals_appeal_change", args=[demo.pk])).content.decode()

    table = re.search(r'<table data-testid="monthly-gifts">.*?</table>', page, re.S).group(0)
    cells = dict(re.findall(r"<th>(.*?)</th><td>(.*?)</td>", table))
    assert cells == {"Monthly donors": "2", "Promised each month": "£35.00",
                     "Failed payments this month": "1"}


def test_the_list_is_filtered_by_status_and_shows_the_next_collection(
        client, demo, live_server, admin_user):
    active = paid_monthly(live_server.url, email="keeps@example.com")
    ended = paid_monthly(live_server.url, email="ended@example.com")
    regular_gift_cancel(gift_id=ended["regular_gift"], by="admin", actor=admin_user)
    client.force_login(admin_user)
    url = reverse("admin:donations_regulargift_changelist")

    canceled = client.get(url, {"status__exact": "canceled"}).content.decode()
    assert "ended@example.com" in canceled and "keeps@example.com" not in canceled
    page = client.get(url, {"q": "keeps@example.com"}).content.decode()
    next_day = regular_gift_next_collection(RegularGift.objects.get(pk=active["regular_gift"]))
    assert next_day.strftime("%-d %b %Y") in page


@pytest.mark.parametrize(("created", "now", "expected"), [
    ("2026-01-31 09:00", "2026-02-10 12:00", dt.date(2026, 2, 28)),  # a short month: its last day
    ("2026-01-31 09:00", "2026-03-01 12:00", dt.date(2026, 3, 31)),
    ("2026-05-07 09:00", "2026-05-07 10:00", dt.date(2026, 6, 7)),
    ("2026-05-07 09:00", "2026-12-07 08:59", dt.date(2026, 12, 7)),
])
def test_the_next_collection_is_the_anchor_day_of_the_next_month(created, now, expected):
    from zoneinfo import ZoneInfo

    utc = ZoneInfo("UTC")
    gift = RegularGift(status="active", created_at=dt.datetime.fromisoformat(created).replace(
        tzinfo=utc))
    assert regular_gift_next_collection(gift, now=dt.datetime.fromisoformat(now).replace(
        tzinfo=utc)) == expected
    gift.status = "canceled"
    assert regular_gift_next_collection(gift) is None
