"""Readers in German and Arabic, in Debian's Chromium (issue 16, docs/languages.md): the appeal
page, the widget, the thanks page and the donor's own page in their language and direction, amounts as they write
them, the switcher remembered, no sideways scrolling on a phone, axe clean; a German donor's
"10,50" charged as ten euros fifty, and their receipt email in German."""

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from donations.models import Donation, RegularGift
from tests.browser.test_accessibility import assert_no_violations
from tests.browser.test_donate import fill_card
from tests.factories import DonationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EURO = "/appeals/earthquake-relief/"


def reader(browser, locale, width=390, height=844):
    """A phone in `locale`: its Accept-Language is that language."""
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True,
                                  has_touch=True, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def fits(page, width=390):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def german(browser):
    context, page = reader(browser, "de-DE")
    yield page
    context.close()


@pytest.fixture
def arabic(browser):
    context, page = reader(browser, "ar-EG")
    yield page
    context.close()


def test_a_german_reader_reads_the_appeal_page_widget_and_thanks_page_in_german(
        demo, live_server, german):
    german.goto(live_server.url + EURO)
    expect(german.locator("html")).to_have_attribute("lang", "de")
    expect(german.locator("html")).to_have_attribute("dir", "ltr")
    expect(german.get_by_role("heading", name="Jetzt spenden")).to_be_visible()
    expect(german.get_by_role("radio", name=re.compile(r"^25,00\s€"))).to_be_attached()
    expect(german.get_by_test_id("raised")).to_have_text("0,00\u00a0€")
    fits(german)
    assert_no_violations(german)

    german.goto(live_server.url + EURO + "embed/")
    expect(german.locator("html")).to_have_attribute("lang", "de")
    # The widget takes the gift in place, in German, with the full page as the fallback.
    expect(german.get_by_role("radio", name=re.compile(r"^25,00\s€"))).to_be_attached()
    expect(german.get_by_role("button", name="Spenden")).to_be_attached()
    expect(german.get_by_role("link", name=re.compile("^Stattdessen auf der ganzen Seite spenden"))) \
        .to_be_visible()
    fits(german)
    assert_no_violations(german)

    gift = DonationFactory(appeal=demo.__class__.objects.get(slug="earthquake-relief"),
                           amount=2500, first_name="Jürgen")
    german.goto(f"{live_server.url}/donations/{gift.pk}/thanks/")
    expect(german.get_by_role("heading", level=1)).to_have_text("Vielen Dank, Jürgen")
    expect(german.get_by_test_id("gift")).to_have_text("25,00\u00a0€")
    expect(german.get_by_test_id("status")).to_have_text("Erfolgreich")
    fits(german)
    assert_no_violations(german)


def test_an_arabic_reader_gets_every_page_right_to_left(demo, live_server, arabic):
    gift = DonationFactory(appeal=demo.__class__.objects.get(slug="earthquake-relief"),
                           amount=2500, first_name="محمد")
    for path in (EURO, EURO + "embed/", f"/donations/{gift.pk}/thanks/"):
        arabic.goto(live_server.url + path)
        expect(arabic.locator("html")).to_have_attribute("lang", "ar")
        expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
        fits(arabic)
        assert_no_violations(arabic)
    expect(arabic.get_by_role("heading", level=1)).to_have_text("شكرًا لك، محمد")
    expect(arabic.get_by_test_id("gift")).to_have_text("\u200f25.00\u00a0€")

    # Mirrored: the heading starts at the right, the language switcher sits at the left.
    arabic.goto(live_server.url + EURO)
    heading = arabic.get_by_role("heading", level=1).bounding_box()
    switcher = arabic.get_by_role("combobox", name="اللغة").bounding_box()
    brand = arabic.locator(".brand").bounding_box()
    assert switcher["x"] < brand["x"]
    assert heading["x"] + heading["width"] > 390 - 40


def test_the_switcher_is_clicked_and_remembered_on_the_next_page(demo, live_server, browser):
    context, page = reader(browser, "en-GB")
    page.goto(live_server.url + EURO)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_label("Language").select_option("Deutsch")
    page.get_by_role("button", name="Change language").click()

    expect(page).to_have_url(live_server.url + EURO)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Sprache wechseln")).to_be_visible()
    page.goto(live_server.url + "/")  # the next page: the cookie, not the browser, decides
    expect(page.get_by_role("heading", level=1)).to_have_text("Aktuelle Spendenaufrufe")
    assert {c["name"]: c["value"] for c in context.cookies()}["django_language"] == "de"

    page.get_by_label("Sprache").select_option("العربية")
    page.get_by_role("button", name="Sprache wechseln").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    context.close()


def test_a_german_donor_types_10_50_and_is_charged_ten_euros_fifty_with_a_german_receipt(
        demo, live_server, german, inbox, worker):
    german.goto(live_server.url + EURO)
    german.get_by_role("radio", name="Anderer Betrag").check()
    german.get_by_label("Ihr Betrag (EUR)").fill("10,50")
    expect(german.locator("#total")).to_have_text("10,50\u00a0€")
    german.get_by_label("Wofür soll Ihre Spende sein?").select_option("water")
    german.get_by_label("E-Mail (für Ihre Quittung)").fill("leser@example.de")
    german.get_by_label("Vorname").fill("Jürgen")
    german.get_by_label("Nachname").fill("Groß")
    fill_card(german, "4242424242424242")
    german.get_by_role("button", name=re.compile("^Spenden")).click()

    expect(german.get_by_role("heading", level=1)).to_have_text("Vielen Dank, Jürgen")
    expect(german.get_by_test_id("gift")).to_have_text("10,50\u00a0€")
    donation = Donation.objects.get()
    assert (donation.amount, donation.gift_amount, donation.currency) == (1050, 1050, "EUR")
    assert donation.language == "de"

    message = inbox.wait_for(1)[0]
    assert message["Subject"].startswith("Ihre Quittung ")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hallo Jürgen Groß," in text and "Spende: 10,50\u00a0€" in text
    attachment = next(part for part in message.iter_attachments()
                      if part.get_content_type() == "application/pdf")
    pdf = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "Spendenquittung" in pdf and "Jürgen Groß" in pdf


@pytest.mark.parametrize("locale, lang, direction, sign_in, heading, amount, past_due", [
    ("de-DE", "de", "ltr", "Anmelden", "Ihre Spenden", "25,00\u00a0€",
     "Überfällig (ein Monat fehlgeschlagen)"),
    ("ar-EG", "ar", "rtl", "تسجيل الدخول", "تبرعاتك", "\u200f25.00\u00a0€",
     "متأخر (تعذّر تحصيل شهر)"),
])
def test_the_donors_own_page_in_german_and_arabic(demo, live_server, browser, locale, lang,
                                                   direction, sign_in, heading, amount,
                                                   past_due):
    from donors.services import sign_in_link_create

    euro = demo.__class__.objects.get(slug="earthquake-relief")
    DonationFactory(appeal=euro, amount=2500, email="leser@example.de",
                    first_name="Jürgen", succeeded_at=timezone.now())
    RegularGift.objects.create(appeal=euro, email="leser@example.de", amount=1000,
                               gift_amount=1000, currency="EUR",
                               status=RegularGift.Status.PAST_DUE, stripe_customer="cus_leser",
                               stripe_subscription="sub_leser")
    context, page = reader(browser, locale)
    page.goto(f"{live_server.url}/donor/sign-in/{sign_in_link_create(email='leser@example.de')}/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.get_by_role("button", name=sign_in).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.get_by_test_id("gift").first).to_contain_text(amount)
    expect(page.get_by_test_id("monthly-status")).to_have_text(past_due)  # a status, translated
    fits(page)
    assert_no_violations(page)
    context.close()
