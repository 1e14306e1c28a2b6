"""Every button and action the project adds to the admin, clicked in Debian's Chromium as
staff click them; each test checks what they would notice (an email arrives, a row changes,
a file downloads). The refund, publish and "Reconcile now" buttons are in
test_admin_browser.py; the image upload too."""

import json
import re

import pytest
from playwright.sync_api import expect

from donations.models import Donation
from donations.services import refunds
from tests.admin.conftest import PASSWORD, run_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONEY = re.compile(r"^£\d[\d,]*\.\d\d$")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("sam", "sam@charity.example", PASSWORD)


def refund_ten_pounds(donation_id, actor):
    refunds.donation_refund(donation_id=donation_id, amount=1000, reason="Asked by the donor",
                            request_key="k-" + str(donation_id), actor=actor)


def test_resend_receipt_clicked_emails_the_receipt_again(
        admin_page, live_server, paid_gift, inbox, worker):
    number = Donation.objects.get(pk=paid_gift).receipt.number
    assert len(inbox.wait_for(1)) == 1  # the first sending
    admin_page.goto(f"{live_server.url}/admin/donations/donation/{paid_gift}/change/")

    admin_page.get_by_role("button", name=f"Resend receipt {number}").click()

    expect(admin_page.locator(".messagelist")).to_contain_text(
        f"Receipt {number} will be emailed again")
    messages = inbox.wait_for(2)
    assert len(messages) == 2
    assert messages[1]["To"] == "giver@example.com"
    assert number in messages[1]["Subject"]


def test_donation_page_shows_money_in_pounds_and_rows_by_name(
        admin_page, live_server, paid_gift, appeal_admin):
    refund_ten_pounds(paid_gift, appeal_admin)
    page = admin_page
    page.goto(f"{live_server.url}/admin/donations/donation/{paid_gift}/change/")

    expect(page.locator("#content h2").first).to_have_text(
        "£25.00 to Emergency Appeal: Floods — Partially refunded")
    for field in ("fee_display", "net_display", "amount_display", "refunded_display"):
        expect(page.locator(f"div.field-{field} .readonly")).to_have_text(MONEY)
    history = page.locator("#events-group")
    expect(history).not_to_contain_text("object (")
    expect(history).to_contain_text("Status succeeded → partially_refunded")
    expect(history).to_contain_text("amount: £10.00")

    page.goto(f"{live_server.url}/admin/donations/donation/")
    expect(page.get_by_role("row", name=re.compile(paid_gift[:8]))).to_contain_text("£25.00")


def test_audit_log_shows_a_refund_in_pounds(sign_in, live_server, paid_gift, superuser):
    refund_ten_pounds(paid_gift, superuser)
    page = sign_in(superuser)
    page.get_by_role("link", name="Audit log").click()

    row = page.locator("#audit-log tbody tr").filter(has_text="refund requested")
    expect(row).to_contain_text("amount: £10.00")
    expect(page.locator("#audit-log")).not_to_contain_text("minor units")


def test_erase_personal_data_action_asks_then_erases(sign_in, live_server, paid_gift, superuser):
    page = sign_in(superuser)
    page.goto(f"{live_server.url}/admin/donations/donation/")
    page.get_by_role("checkbox", name=re.compile("for an action")).first.check()
    page.locator("select[name=action]").select_option("erase_personal_data")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("listitem").filter(has_text="giver@example.com")).to_be_visible()

    page.get_by_role("button", name="Yes, erase").click()

    expect(page.locator(".messagelist")).to_contain_text("Erased giver@example.com")
    expect(page.get_by_role("row", name=re.compile(paid_gift[:8]))).not_to_contain_text(
        "giver@example.com")


def test_export_personal_data_action_downloads_the_donors_data(
        sign_in, live_server, paid_gift, superuser):
    page = sign_in(superuser)
    page.goto(f"{live_server.url}/admin/donations/donation/")
    page.get_by_role("checkbox", name=re.compile("for an action")).first.check()
    page.locator("select[name=action]").select_option("export_personal_data")
    with page.expect_download() as download:
        page.get_by_role("button", name="Go").click()

    assert download.value.suggested_filename == "donor-data.json"
    data = json.loads(open(download.value.path()).read())
    assert list(data) == ["giver@example.com"]


def test_payments_health_link_opens_the_health_page(admin_page, live_server, demo):
    admin_page.goto(f"{live_server.url}/admin/donations/donation/")
    admin_page.get_by_role("link", name="Payments health").click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Payments health")
    expect(admin_page.get_by_test_id("payments-health")).to_contain_text("Pending donations")


# --- Finance: the exports one click away --------------------------------------------------


@pytest.fixture
def finance_member(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("fiona", "fiona@charity.example", PASSWORD,
                                                 is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    return user


def finance_rows():
    """Two receipted gifts on two appeals, in December 2026 and January 2027."""
    from tests.factories import AppealFactory
    from tests.finance.conftest import local, receipted

    floods = AppealFactory(slug="floods", title="Floods")
    quake = AppealFactory(slug="quake", title="Quake")
    receipted(appeal=floods, amount=2500, gift_amount=2500, issued_at=local(2026, 12, 10, 12),
              declared=True)
    receipted(appeal=quake, amount=4000, gift_amount=4000, issued_at=local(2027, 1, 5, 12))


def download(page, button):
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    return download.value


def test_finance_downloads_exports_from_the_admin_index_with_filters(
        sign_in, finance_member, live_server):
    import csv
    import io

    from openpyxl import load_workbook

    finance_rows()
    page = sign_in(finance_member)  # lands on the index: the exports are there
    page.get_by_label("From:", exact=True).fill("2026-12-01")
    page.get_by_label("To:", exact=True).fill("2026-12-31")
    page.get_by_label("Appeal:", exact=True).select_option(label="Floods")

    receipts = download(page, "Download receipts.csv")
    assert receipts.suggested_filename == "receipts_floods_2026-12-01_2026-12-31.csv"
    rows = list(csv.DictReader(io.StringIO(open(receipts.path(), encoding="utf-8-sig").read())))
    assert [(r["appeal"], r["amount"]) for r in rows] == [("floods", "25.00")]

    xlsx = download(page, "Download receipts.xlsx").path().read_bytes()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)] == [25]

    gift_aid = open(download(page, "Download gift-aid.csv").path(), encoding="utf-8-sig").read()
    assert "25.00" in gift_aid

    page.get_by_label("Appeal:", exact=True).select_option(label="All appeals")
    page.get_by_label("To:", exact=True).fill("2027-01-31")
    rows = list(csv.DictReader(io.StringIO(open(
        download(page, "Download receipts.csv").path(), encoding="utf-8-sig").read())))
    assert sorted(r["appeal"] for r in rows) == ["floods", "quake"]


def test_finance_export_with_to_before_from_says_so_on_the_page(
        sign_in, finance_member, live_server):
    page = sign_in(finance_member)
    page.get_by_role("link", name="Exports (receipts, Gift Aid)").click()
    page.get_by_label("From:", exact=True).fill("2026-12-31")
    page.get_by_label("To:", exact=True).fill("2026-12-01")
    page.get_by_role("button", name="Download receipts.csv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finance exports")
    expect(page.get_by_test_id("finance-exports")).to_contain_text("must be on or after")


def test_staff_outside_finance_see_no_exports(admin_page, live_server):
    expect(admin_page.get_by_test_id("finance-exports")).to_have_count(0)
    assert admin_page.goto(f"{live_server.url}/admin/finance/exports/").status == 403


# --- the audit log: appeals and access ---------------------------------------------------


def test_audit_log_shows_appeals_created_published_closed_and_access_given(
        sign_in, live_server, superuser, appeal_admin, demo):
    page = sign_in(superuser)
    page.goto(f"{live_server.url}/admin/appeals/appeal/add/")
    page.get_by_label("Title").press_sequentially("Drought response")
    page.get_by_label("Summary").fill("Water for villages in the drought.")
    page.get_by_label("Story").fill("No rain since March.")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Goal amount").fill("10,000")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    for action, done in (("publish", "published"), ("close", "closed")):
        run_action(page, "Drought response", action)
        expect(page.locator(".messagelist")).to_contain_text(f"1 appeal(s) {done}")

    page.goto(f"{live_server.url}/admin/auth/user/{appeal_admin.pk}/change/")
    page.get_by_label("Superuser status").check()
    page.locator("#id_groups_from").select_option("Finance")
    page.get_by_role("button", name="Choose selected groups").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option(label="Users and permissions")
    page.get_by_role("button", name="Filter").click()
    access = page.locator("#audit-log tbody tr").filter(has_text="amira")
    expect(access).to_contain_text("Superuser status: no → yes")
    expect(access).to_contain_text("Groups: added Finance")
    expect(access).to_contain_text("sam")

    page.get_by_label("What").select_option(label="Appeals")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#audit-log tbody tr").filter(has_text="Drought response")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Status: Live → Closed")
    expect(rows.nth(1)).to_contain_text("Status: Draft → Live")
    expect(rows.nth(2)).to_contain_text("appeal added")


# --- appeals: successor, preview, attribution report ------------------------------------


def test_successor_chosen_in_the_admin_sends_readers_of_the_closed_appeal_on(
        admin_page, live_server, demo):
    page = admin_page
    page.goto(f"{live_server.url}/admin/appeals/appeal/")
    page.get_by_role("link", name="Typhoon Relief: Japan", exact=True).click()
    page.get_by_label("Successor").select_option(label="Emergency Appeal: Floods")
    page.get_by_label("Status").select_option("closed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}/appeals/typhoon-relief-japan/?utm_source=daily&ref=a1")
    expect(page.get_by_role("heading", name="This appeal is closed")).to_be_visible()
    page.get_by_role("link", name="Give to the Emergency Appeal: Floods").click()
    expect(page).to_have_url(re.compile(r"/appeals/emergency-appeal/\?utm_source=daily&ref=a1$"))


def test_preview_link_shows_a_draft_to_its_admin(admin_page, live_server, demo):
    from tests.factories import AppealFactory

    draft = AppealFactory(slug="drought", title="Drought response", status="draft")
    page = admin_page
    page.goto(f"{live_server.url}/admin/appeals/appeal/{draft.pk}/change/")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Preview (draft: only staff see it)").click()
    preview = opened.value
    expect(preview.get_by_test_id("preview")).to_contain_text("this draft is not public yet")
    expect(preview.get_by_role("heading", level=1)).to_have_text("Drought response")


def test_attribution_report_link_opens_the_appeals_report(admin_page, live_server, demo):
    page = admin_page
    page.goto(f"{live_server.url}/admin/appeals/appeal/{demo.pk}/change/")
    page.get_by_role("link", name="Attribution report").click()
    expect(page.get_by_role("table", name="Attribution for Emergency Appeal: Floods")).to_be_visible()


# --- defence, Gift Aid claims, two-factor -------------------------------------------------


def test_attack_mode_switched_on_in_the_admin_shows_in_the_audit_log(
        sign_in, live_server, superuser):
    page = sign_in(superuser)
    page.get_by_role("link", name="Card-testing defence").click()
    page.get_by_label("Attack mode").check()
    page.get_by_label("Reason").fill("Many declines from one network")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}/admin/audit/")
    expect(page.locator("#audit-log tbody tr").first).to_contain_text("attack mode on")
    expect(page.locator("#audit-log tbody tr").first).to_contain_text(
        "Many declines from one network")


def test_gift_aid_claim_schedule_link_downloads_the_claim(
        sign_in, live_server, finance_member):
    from datetime import date

    from finance.filters import Period
    from finance.services import gift_aid_claim_record

    finance_rows()
    december = Period(start=date(2026, 12, 1), end=date(2026, 12, 31))
    claim, _ = gift_aid_claim_record(period=december, user=finance_member)
    page = sign_in(finance_member)
    page.get_by_role("link", name="Gift aid claims").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="gift-aid.csv").click()
    assert download.value.suggested_filename.startswith(f"gift-aid-claim-{claim.pk}")
    assert "25.00" in download.value.path().read_text(encoding="utf-8-sig")


def test_two_factor_turned_on_is_asked_at_the_next_login_then_removed(
        sign_in, live_server, appeal_admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.test_security import code_for

    page = sign_in(appeal_admin)
    page.get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_test_id("two-factor-status")).to_contain_text("off")
    device = TOTPDevice.objects.get(user=appeal_admin)
    page.get_by_label("Code from the app").fill(code_for(device))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_test_id("two-factor-status")).to_contain_text("on")

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("amira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errornote")).to_contain_text("Enter the code from your authenticator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(code_for(device, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("administration")

    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_label("Code from the app").fill(code_for(device, steps_ahead=2))
    page.get_by_role("button", name="Remove two-factor").click()
    expect(page.get_by_test_id("two-factor-status")).to_contain_text("off")
