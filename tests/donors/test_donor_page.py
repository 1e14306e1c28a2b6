"""/donor/ over HTTP: what a signed-in donor may read (their own receipts only), the sign-in
link's single use, privacy headers, news consent and Gift Aid cancellation (which leaves the
months already given claimable and takes the later ones out of gift-aid.csv)."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from pypdf import PdfReader

from donations.models import Donation, RegularGift
from donors.models import GiftAidCancellation, NewsConsent, SignInLink
from donors.services import sign_in_link_create
from tests.donations.test_monthly import next_month_at_stripe, paid_monthly, stripe_api  # noqa: F401
from tests.donors.conftest import paid_gift
from tests.helpers import eventually

pytestmark = pytest.mark.django_db(transaction=True)

GIFT_AID = {"gift_aid": True, "address_line1": "10 Downing Street", "postcode": "SW1A 2AA"}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_without_sign_in_the_page_asks_for_a_link_and_shows_no_gift(demo, live_server, client):
    gift = paid_gift(live_server.url, email="ada@example.com")
    number = Donation.objects.get(pk=gift["id"]).receipt.number
    page = client.get("/donor/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store, private" or set(
        page["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}
    html = page.content.decode()
    assert "Email me a link" in html and 'name="csrfmiddlewaretoken"' in html
    assert number not in html and "£25.00" not in html and "Sign out" not in html


def test_a_signed_in_donor_gets_their_receipt_pdf_and_another_donors_is_404(
        demo, live_server, client, donor_client):
    mine = paid_gift(live_server.url, email="ada@example.com")
    theirs = paid_gift(live_server.url, email="grace@example.com")
    mine_number = Donation.objects.get(pk=mine["id"]).receipt.number

    donor_client("ADA@example.com")
    own = client.get(f"/donor/gifts/{mine['id']}/receipt.pdf")
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert "no-store" in own["Cache-Control"] and "private" in own["Cache-Control"]
    assert mine_number in pdf_text(own.content)
    assert client.get(f"/donor/gifts/{theirs['id']}/receipt.pdf").status_code == 404
    page = client.get("/donor/").content.decode()
    assert mine_number in page
    assert Donation.objects.get(pk=theirs["id"]).receipt.number not in page


def test_receipts_and_statements_need_a_sign_in(demo, live_server, client):
    gift = paid_gift(live_server.url, email="ada@example.com")
    year = timezone.localdate().year if timezone.localdate() >= timezone.localdate().replace(
        month=4, day=6) else timezone.localdate().year - 1
    for url in (f"/donor/gifts/{gift['id']}/receipt.pdf", f"/donor/statements/{year}.pdf"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"] == "/donor/"


def test_opening_the_link_uses_nothing_up_the_button_does_once(demo, live_server, client):
    paid_gift(live_server.url, email="ada@example.com")
    token = sign_in_link_create(email="ada@example.com")
    url = f"/donor/sign-in/{token}/"

    # A mail scanner's GET, then the donor's: both see the button, nothing is used up.
    for _ in range(2):
        opened = client.get(url)
        assert opened.status_code == 200 and "Sign in" in opened.content.decode()
        assert "no-store" in opened["Cache-Control"]
    before = client.session.session_key
    signed_in = client.post(url)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/donor/"
    assert client.session["donor_email"] == "ada@example.com"
    assert client.session.session_key != before  # a new session key on sign-in
    assert SignInLink.objects.get().used_at is not None

    client.post("/donor/sign-out/")
    again = client.post(url)
    assert again.status_code == 410
    assert "expired or was already used" in again.content.decode()
    assert "donor_email" not in client.session
    assert client.get(url).status_code == 410


def test_a_link_past_its_60_minutes_signs_no_one_in(demo, live_server, client):
    paid_gift(live_server.url, email="ada@example.com")
    token = sign_in_link_create(email="ada@example.com")
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/donor/sign-in/{token}/").status_code == 410
    refused = client.post(f"/donor/sign-in/{token}/")
    assert refused.status_code == 410 and "donor_email" not in client.session
    assert 'name="email"' in refused.content.decode()  # the form for a new link


def test_news_answers_are_kept_with_their_wording_and_time(demo, live_server, client,
                                                           donor_client):
    paid_gift(live_server.url, email="ada@example.com")
    donor_client("ada@example.com")
    first = client.get("/donor/").content.decode()
    assert "You have not told us yet" in first
    assert "checked" not in first.split("News from us")[1]  # never a pre-ticked answer

    client.post("/donor/news/", {"news": "yes"})
    client.post("/donor/news/", {"news": "no"})

    answers = list(NewsConsent.objects.order_by("recorded_at", "id"))
    assert [a.consented for a in answers] == [True, False]
    assert all("hear from" in a.wording and a.wording_version for a in answers)
    assert all(a.email == "ada@example.com" for a in answers)
    page = client.get("/donor/").content.decode()
    assert "We will not send you news." in page
    assert "checked" in page.split('value="no"')[1].split(">")[0]  # the answer in force
    # A bad answer records nothing and is said.
    client.post("/donor/news/", {"news": "maybe"})
    assert NewsConsent.objects.count() == 2


def finance_schedule(client) -> list[dict]:
    user = User.objects.create_user("fiona", "fiona@lifeline.invalid", "pw-fiona-123",
                                    is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    client.force_login(user)
    answer = client.get("/finance/exports/gift-aid.csv")
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_gift_aid_cancelled_keeps_the_months_given_and_claims_none_after(
        demo, webhooks, client, donor_client, stripe_api):  # noqa: F811
    gift = paid_monthly(webhooks.url, email="ada@example.com", **GIFT_AID)
    gift_id = gift["regular_gift"]
    next_month_at_stripe(stripe_api, gift_id)
    eventually(lambda: RegularGift.objects.get(pk=gift_id).payments.filter(
        status="succeeded").count() == 2, timeout=20, what="the second month")

    donor_client("ada@example.com")
    page = client.get("/donor/").content.decode()
    assert "is in force" in page and "Cancel Gift Aid for future gifts" in page
    confirm = client.get("/donor/gift-aid/cancel/")
    assert confirm.status_code == 200 and "keep their Gift Aid" in confirm.content.decode()
    assert client.post("/donor/gift-aid/cancel/").status_code == 302
    cancellation = GiftAidCancellation.objects.get()
    assert cancellation.regular_gifts == [gift_id]
    assert "You cancelled your Gift Aid declaration" in client.get("/donor/").content.decode()

    next_month_at_stripe(stripe_api, gift_id)
    months = eventually(lambda: list(RegularGift.objects.get(pk=gift_id).payments.filter(
        status="succeeded").order_by("succeeded_at")) if RegularGift.objects.get(
        pk=gift_id).payments.filter(status="succeeded").count() == 3 else None,
        timeout=20, what="the third month")

    client.post("/donor/sign-out/")
    rows = finance_schedule(client)
    # The two months given before the cancellation stay claimable; the third is not claimed.
    assert len(rows) == 2
    assert all(r["last_name"] == "Lovelace" and r["amount"] == "25.00" for r in rows)
    assert [m.gift_aid for m in months] == [True, True, False]
    assert not hasattr(months[2], "declaration") or months[2].declaration is None


def test_a_donors_data_export_and_erasure_cover_their_page_records(demo, live_server, client,
                                                                   donor_client):
    from donations.services.personal_data import donor_data_erase, donor_data_export

    paid_gift(live_server.url, email="ada@example.com", **GIFT_AID)
    donor_client("ada@example.com")
    client.post("/donor/news/", {"news": "yes"})
    client.post("/donor/gift-aid/cancel/")

    exported = donor_data_export(email="Ada@example.com")
    assert [c["consented"] for c in exported["news_consents"]] == [True]
    assert len(exported["gift_aid_cancellations"]) == 1
    assert len(exported["sign_in_links"]) == 1

    donor_data_erase(email="ada@example.com")
    assert not SignInLink.objects.exists()
    assert NewsConsent.objects.get().email.endswith("@erased.invalid")
    assert GiftAidCancellation.objects.get().email.endswith("@erased.invalid")
    assert donor_data_export(email="ada@example.com")["news_consents"] == []


def test_the_pages_form_asks_through_the_same_limits_and_says_when_over(demo, client,
                                                                         settings):
    settings.DONOR_LINKS_PER_EMAIL = "1/h"
    first = client.post("/donor/", {"email": "reader@example.com"})
    assert first.status_code == 302 and first["Location"] == "/donor/link-sent/"
    over = client.post("/donor/", {"email": "reader@example.com"})
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert "Too many sign-in links" in over.content.decode()
    bad = client.post("/donor/", {"email": "not an address"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()


def test_staff_read_the_news_answers_and_cancellations_and_cannot_change_them(
        demo, live_server, client, donor_client, django_user_model):
    paid_gift(live_server.url, email="ada@example.com", **GIFT_AID)
    donor_client("ada@example.com")
    client.post("/donor/news/", {"news": "yes"})
    client.post("/donor/gift-aid/cancel/")
    client.post("/donor/sign-out/")
    client.force_login(django_user_model.objects.create_superuser(
        "root", "root@charity.example", "correct horse battery"))

    for model in ("newsconsent", "giftaidcancellation", "signinlink"):
        page = client.get(f"/admin/donors/{model}/")
        assert page.status_code == 200 and "ada@example.com" in page.content.decode()
        assert client.get(f"/admin/donors/{model}/add/").status_code == 403
    link = SignInLink.objects.get()
    shown = client.get(f"/admin/donors/signinlink/{link.pk}/change/").content.decode()
    assert link.token_hash not in shown


def test_two_clicks_at_once_on_one_link_sign_in_once():
    from donors.services import sign_in_link_use
    from tests.helpers import fire_at_once

    token = sign_in_link_create(email="ada@example.com")
    results = fire_at_once(*[lambda: sign_in_link_use(token=token)] * 4)
    assert sorted(results, key=lambda r: r is None) == ["ada@example.com", None, None, None]
