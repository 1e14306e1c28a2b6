"""A reader on a phone chooses "Monthly" on the appeal page, in Debian's Chromium, through the
stand-in: the form says what will be taken and when, and the first month is paid as a one-off
gift is (docs/monthly-gifts.md)."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from donations.models import Donation, RegularGift
from tests.browser.test_donate import fill_card, fill_donor, open_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def test_reader_gives_monthly_and_is_told_what_is_taken_and_when(demo, live_server, phone):
    open_appeal(phone, live_server)
    fill_donor(phone, "£10.00")
    summary = phone.locator("#frequency-summary")
    expect(summary).to_be_hidden()

    phone.get_by_role("radio", name="Monthly").check()

    expect(summary).to_have_text(
        f"£10.00 today, then £10.00 on the {ordinal(date.today().day)} of each month, "
        "until you cancel.")
    expect(phone.get_by_role("button", name=re.compile("Donate"))).to_have_text(
        "Donate £10.00 a month")
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone).to_have_url(re.compile(r"/donations/[0-9a-f-]+/thanks/$"))
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    gift = RegularGift.objects.get()
    assert gift.status == "active" and gift.amount == 1000 and gift.currency == "GBP"
    donation = Donation.objects.get()
    assert donation.regular_gift_id == gift.pk and donation.status == "succeeded"
    assert donation.frequency == "monthly"


def test_once_stays_the_default_and_gives_once(demo, live_server, phone):
    open_appeal(phone, live_server)
    expect(phone.get_by_role("radio", name="Once")).to_be_checked()
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert RegularGift.objects.count() == 0
    assert Donation.objects.get().frequency == "once"
