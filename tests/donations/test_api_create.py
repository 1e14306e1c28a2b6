"""POST /api/v1/donations/: what a donor's browser (or a publisher's integration) sees.

Bad input answers 400 naming the field and leaves nothing behind, here or at the stand-in;
good input answers 201 with what Stripe.js needs; an Idempotency-Key makes a retry safe.
"""

import json
import threading
import uuid

import pytest
import requests
from django.conf import settings
from django.db import connection

from appeals.models import Appeal
from core.money import estimate_fee_to_cover, to_major_str
from donations.models import Donation, GiftAidDeclaration, IdempotencyKey
from donations.giftaid import gift_aid_wording
from tests.factories import AppealFactory, DesignationFactory
from tests.helpers import DONATION, confirmation_token, create_donation, give_card

URL = "/api/v1/donations/"
STANDIN_AUTH = {"Authorization": "Bearer sk_test_x"}
MISSING = object()

GOOD = DONATION
GOOD_JPY = {**GOOD, "appeal": "typhoon-relief-japan", "amount": "3000", "currency": "JPY"}
GIFT_AID = {**GOOD, "gift_aid": True, "address_line1": "10 Downing Street", "postcode": "SW1A 2AA"}


def post(client, body, key=None):
    """POST a JSON body (a dict, or raw text sent as it is)."""
    headers = {"Idempotency-Key": key} if key else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def standin_list(standin, what):
    answer = requests.get(f"{standin}/v1/{what}?limit=100", headers=STANDIN_AUTH, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]


def with_changes(base, **changes):
    body = dict(base)
    for name, value in changes.items():
        if value is MISSING:
            body.pop(name, None)
        else:
            body[name] = value
    return body


@pytest.fixture
def appeals(demo):
    """The demo appeals, plus a draft and another live appeal with a fund of its own."""
    AppealFactory(slug="draft-appeal", status=Appeal.Status.DRAFT)
    other = AppealFactory(slug="other-appeal")
    DesignationFactory(appeal=other, code="books")
    return demo


# --- bad input ----------------------------------------------------------------------------

BAD_INPUT = [
    # amount
    ("amount zero", with_changes(GOOD, amount="0"), "amount"),
    ("amount 0.00", with_changes(GOOD, amount="0.00"), "amount"),
    ("amount negative", with_changes(GOOD, amount="-5.00"), "amount"),
    ("amount below the minimum", with_changes(GOOD, amount="0.50"), "amount"),
    ("amount with three decimals", with_changes(GOOD, amount="25.001"), "amount"),
    ("amount as text", with_changes(GOOD, amount="abc"), "amount"),
    ("amount empty", with_changes(GOOD, amount=""), "amount"),
    ("amount huge", with_changes(GOOD, amount="99999999"), "amount"),
    ("amount NaN", with_changes(GOOD, amount="NaN"), "amount"),
    ("amount Infinity", with_changes(GOOD, amount="Infinity"), "amount"),
    ("amount with a huge exponent", with_changes(GOOD, amount="1e999999999"), "amount"),
    ("amount with a tiny exponent", with_changes(GOOD, amount="1e-999999999"), "amount"),
    ("amount in exponent notation", with_changes(GOOD, amount="1e3"), "amount"),
    ("amount with a million-digit exponent", with_changes(GOOD, amount="1e999990"), "amount"),
    ("amount with underscores", with_changes(GOOD, amount="1_000"), "amount"),
    ("amount in Arabic-Indic digits", with_changes(GOOD, amount="\u0662\u0665"), "amount"),
    ("amount with two points", with_changes(GOOD, amount="25.00.00"), "amount"),
    ("amount too long", with_changes(GOOD, amount="1" * 40), "amount"),
    ("amount with a comma before the pence in English", with_changes(GOOD, amount="10,50"),
     "amount"),
    ("amount with a misplaced thousands comma", with_changes(GOOD, amount="1,00"), "amount"),
    ("amount with another currency's sign", with_changes(GOOD, amount="$25"), "amount"),
    ("amount with a plus sign", with_changes(GOOD, amount="+25"), "amount"),
    ("amount in full-width digits", with_changes(GOOD, amount="２５"), "amount"),
    ("amount with three decimals, trailing zero", with_changes(GOOD, amount="25.010"), "amount"),
    ("amount as a float with three decimals", with_changes(GOOD, amount=25.001), "amount"),
    ("amount true", with_changes(GOOD, amount=True), "amount"),
    ("amount false", with_changes(GOOD, amount=False), "amount"),
    ("amount null", with_changes(GOOD, amount=None), "amount"),
    ("amount a list", with_changes(GOOD, amount=["25.00"]), "amount"),
    ("amount an object", with_changes(GOOD, amount={"value": "25.00"}), "amount"),
    ("amount missing", with_changes(GOOD, amount=MISSING), "amount"),
    ("JPY amount with decimals", with_changes(GOOD_JPY, amount="3000.5"), "amount"),
    ("JPY amount with zero decimals written", with_changes(GOOD_JPY, amount="3000.50"), "amount"),
    ("JPY amount below the minimum", with_changes(GOOD_JPY, amount="10"), "amount"),
    # currency
    ("currency not the appeal's", with_changes(GOOD, currency="EUR"), "currency"),
    ("currency JPY on a GBP appeal", with_changes(GOOD, currency="JPY"), "currency"),
    ("currency unsupported", with_changes(GOOD, currency="XYZ"), "currency"),
    ("currency too long", with_changes(GOOD, currency="GBPX"), "currency"),
    ("currency a number", with_changes(GOOD, currency=826), "currency"),
    ("currency null", with_changes(GOOD, currency=None), "currency"),
    ("currency missing", with_changes(GOOD, currency=MISSING), "currency"),
    # appeal
    ("appeal unknown", with_changes(GOOD, appeal="no-such-appeal"), "appeal"),
    ("appeal closed", with_changes(GOOD, appeal="winter-appeal-2025"), "appeal"),
    ("appeal draft", with_changes(GOOD, appeal="draft-appeal"), "appeal"),
    ("appeal empty", with_changes(GOOD, appeal=""), "appeal"),
    ("appeal an object", with_changes(GOOD, appeal={"slug": "emergency-appeal"}), "appeal"),
    ("appeal missing", with_changes(GOOD, appeal=MISSING), "appeal"),
    # designation
    ("designation of another appeal", with_changes(GOOD, designation="books"), "designation"),
    ("designation of the GBP appeal on the JPY one",
     with_changes(GOOD_JPY, designation="medicine"), "designation"),
    ("designation unknown", with_changes(GOOD, designation="rockets"), "designation"),
    ("designation a list", with_changes(GOOD, designation=["food"]), "designation"),
    # donor
    ("email not an address", with_changes(GOOD, email="not-an-email"), "email"),
    ("email empty", with_changes(GOOD, email=""), "email"),
    ("email missing", with_changes(GOOD, email=MISSING), "email"),
    ("first name with a NUL byte", with_changes(GOOD, first_name="Ada\x00"), "first_name"),
    ("first name too long", with_changes(GOOD, first_name="A" * 101), "first_name"),
    ("anonymous not a boolean", with_changes(GOOD, anonymous="perhaps"), "anonymous"),
    ("cover_fees not a boolean", with_changes(GOOD, cover_fees="perhaps"), "cover_fees"),
    ("utm_source too long", with_changes(GOOD, utm_source="x" * 201), "utm_source"),
    ("ref too long", with_changes(GOOD, ref="https://news.example/" + "a" * 500), "ref"),
    # Gift Aid
    ("gift aid without a postcode", with_changes(GIFT_AID, postcode=MISSING), "postcode"),
    ("gift aid with a French postcode", with_changes(GIFT_AID, postcode="75001"), "postcode"),
    ("gift aid with a US ZIP code", with_changes(GIFT_AID, postcode="90210"), "postcode"),
    ("gift aid without an address", with_changes(GIFT_AID, address_line1=MISSING),
     "address_line1"),
    ("gift aid with a blank address", with_changes(GIFT_AID, address_line1="   "),
     "address_line1"),
    ("gift aid with punctuation for an address", with_changes(GIFT_AID, address_line1="--"),
     "address_line1"),
    ("gift aid without a first name", with_changes(GIFT_AID, first_name=MISSING), "first_name"),
    ("gift aid without a last name", with_changes(GIFT_AID, last_name=""), "last_name"),
    ("gift aid not a boolean", with_changes(GIFT_AID, gift_aid="perhaps"), "gift_aid"),
    ("gift aid on a JPY gift",
     with_changes(GOOD_JPY, gift_aid=True, address_line1="1 Chome", postcode="SW1A 1AA"),
     "gift_aid"),
    # the body itself
    ("body a JSON list", "[1, 2, 3]", "non_field_errors"),
    ("body a JSON string", '"give"', "non_field_errors"),
    ("body a JSON number", "25", "non_field_errors"),
    ("body JSON null", "null", "non_field_errors"),
    ("body not JSON", "{appeal: emergency-appeal", "non_field_errors"),
    ("body empty object", "{}", "amount"),
]


@pytest.mark.parametrize(
    "body, field", [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_answers_400_naming_the_field_and_creates_nothing(
    client, appeals, standin, body, field
):
    answer = post(client, body, key=f"bad-{uuid.uuid4()}")

    assert answer.status_code == 400, answer.content
    errors = answer.json()
    assert field in errors, errors
    assert isinstance(errors[field], list) and all(isinstance(m, str) for m in errors[field])
    assert Donation.objects.count() == 0
    assert GiftAidDeclaration.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0
    assert standin_list(standin, "payment_intents") == []


@pytest.mark.parametrize("body, fields", [
    (with_changes(GIFT_AID, email="not-an-email", postcode="75001", last_name=""),
     {"email", "postcode", "last_name"}),
    (with_changes(GOOD, email="", amount="0.10", designation="rockets"),
     {"email", "amount", "designation"}),
    (with_changes(GOOD_JPY, first_name="A" * 101, gift_aid=True, postcode=MISSING),
     {"first_name", "gift_aid", "address_line1", "postcode"}),
], ids=["gift aid form with a bad email", "tiny gift with no email", "yen gift aid, long name"])
def test_every_problem_is_reported_at_once_not_one_round_after_another(
    client, appeals, standin, body, fields
):
    answer = post(client, body)
    assert answer.status_code == 400
    assert set(answer.json()) == fields
    assert Donation.objects.count() == 0 and standin_list(standin, "payment_intents") == []


def test_gift_aid_on_a_jpy_gift_is_refused_on_gift_aid_even_with_a_full_address(
    client, appeals, standin
):
    body = with_changes(GOOD_JPY, gift_aid=True, address_line1="10 Downing Street",
                        postcode="SW1A 2AA")
    answer = post(client, body)
    assert answer.status_code == 400
    assert list(answer.json()) == ["gift_aid"]
    assert Donation.objects.count() == 0


def test_form_encoded_body_is_refused_without_a_donation(client, appeals, standin):
    answer = client.post(URL, data=GOOD)  # multipart, not JSON
    assert answer.status_code == 415
    assert Donation.objects.count() == 0
    assert standin_list(standin, "payment_intents") == []


def test_idempotency_key_too_long_is_refused_and_nothing_created(client, appeals, standin):
    answer = post(client, GOOD, key="k" * 256)
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert Donation.objects.count() == 0
    assert standin_list(standin, "payment_intents") == []


# --- good input ---------------------------------------------------------------------------


def test_gbp_gift_answers_201_with_what_stripe_js_needs(client, appeals, standin):
    answer = post(client, GOOD)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    uuid.UUID(body["id"])
    assert body["status"] == "pending"
    assert body["amount"] == "25.00"
    assert body["currency"] == "GBP"
    assert body["publishable_key"] == settings.STRIPE_PUBLISHABLE_KEY
    assert body["client_secret"].startswith("pi_")
    donation = Donation.objects.get()
    assert str(donation.pk) == body["id"]
    assert (donation.amount, donation.gift_amount, donation.currency) == (2500, 2500, "GBP")
    assert donation.designation is None and donation.gift_aid is False
    [pi] = standin_list(standin, "payment_intents")
    assert pi["client_secret"] == body["client_secret"]
    assert (pi["amount"], pi["currency"]) == (2500, "gbp")
    assert pi["id"] == donation.stripe_payment_intent
    assert pi["metadata"]["donation_id"] == body["id"]


def test_jpy_gift_is_in_whole_yen(client, appeals, standin):
    answer = post(client, GOOD_JPY)

    assert answer.status_code == 201, answer.content
    assert answer.json()["amount"] == "3000"
    assert answer.json()["currency"] == "JPY"
    assert Donation.objects.get().amount == 3000
    [pi] = standin_list(standin, "payment_intents")
    assert (pi["amount"], pi["currency"]) == (3000, "jpy")


@pytest.mark.parametrize("amount, shown, minor", [
    (25, "25.00", 2500),
    (25.5, "25.50", 2550),
    ("25", "25.00", 2500),
    ("25.5", "25.50", 2550),
    (" 10.00 ", "10.00", 1000),
    ("10000.00", "10000.00", 1_000_000),
])
def test_amount_may_be_a_number_or_a_decimal_string(client, appeals, amount, shown, minor):
    answer = post(client, with_changes(GOOD, amount=amount))
    assert answer.status_code == 201, answer.content
    assert answer.json()["amount"] == shown
    assert Donation.objects.get().amount == minor


@pytest.mark.parametrize("language, appeal, amount, minor", [
    ({"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}, "emergency-appeal", "10,50", 1050),
    ({"HTTP_ACCEPT_LANGUAGE": "de"}, "aide-urgence", "10,50", 1050),
    ({"HTTP_ACCEPT_LANGUAGE": "de"}, "aide-urgence", "1.050", 105000),
    ({"HTTP_ACCEPT_LANGUAGE": "de"}, "aide-urgence", "25.00", 2500),  # the machine form
    ({"HTTP_ACCEPT_LANGUAGE": "fr"}, "aide-urgence", "1 250,50 €", 125050),
    ({"HTTP_ACCEPT_LANGUAGE": "pl"}, "aide-urgence", "10,50", 1050),
    ({"HTTP_ACCEPT_LANGUAGE": "en-GB"}, "emergency-appeal", "1,050", 105000),
    ({"HTTP_ACCEPT_LANGUAGE": "en-GB"}, "emergency-appeal", "£25", 2500),
    ({}, "emergency-appeal", "1,250.50", 125050),  # no language said: the site's, English
    ({"cookie": "de"}, "emergency-appeal", "10,50", 1050),  # the language switcher's cookie
    ({"cookie": "de", "HTTP_ACCEPT_LANGUAGE": "en"}, "emergency-appeal", "10,50", 1050),
])
def test_a_typed_amount_is_read_in_the_requests_language(
    client, appeals, standin, language, appeal, amount, minor
):
    AppealFactory(slug="aide-urgence", currency="EUR")
    currency = Appeal.objects.get(slug=appeal).currency
    headers = dict(language)
    if "cookie" in headers:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = headers.pop("cookie")
    answer = client.post(URL, data=json.dumps(with_changes(GOOD, appeal=appeal, amount=amount,
                                                           currency=currency)),
                         content_type="application/json", **headers)

    assert answer.status_code == 201, answer.content
    assert Donation.objects.get().gift_amount == minor
    [pi] = standin_list(standin, "payment_intents")
    assert pi["amount"] == minor


@pytest.mark.parametrize("accept_language, amount, says", [
    ("en", "10,50", 'Use "," only between thousands, as in 1,250.00.'),
    ("en-GB", "10,5", 'Use "," only between thousands'),
    # The message is in the request's language too (locale/de/LC_MESSAGES/django.po).
    ("de", "1e1", "Geben Sie einen Betrag ein, z. B. 25,00."),
    ("en", "1e1", "Enter an amount, like 25.00."),
    ("de", "10,555", "Beträge in GBP haben höchstens 2 Nachkommastellen."),
    ("de", "９", "Ziffern 0–9"),
    ("en", "\u0661\u0660", "digits 0-9"),  # Arabic-Indic digits: read on an Arabic page only
    ("de", 1.005, "Beträge in GBP haben höchstens 2 Nachkommastellen."),  # a number: not typed
])
def test_an_amount_that_is_not_one_in_the_requests_language_is_refused_not_guessed(
    client, appeals, standin, accept_language, amount, says
):
    answer = client.post(URL, data=json.dumps(with_changes(GOOD, amount=amount)),
                         content_type="application/json", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert answer.status_code == 400, answer.content
    assert any(says in message for message in answer.json()["amount"]), answer.json()
    assert Donation.objects.count() == 0
    assert standin_list(standin, "payment_intents") == []


def test_lower_case_currency_is_accepted(client, appeals):
    answer = post(client, with_changes(GOOD, currency="gbp"))
    assert answer.status_code == 201, answer.content
    assert answer.json()["currency"] == "GBP"


def test_designation_is_kept_and_null_means_where_most_needed(client, appeals):
    food = post(client, with_changes(GOOD, designation="food"))
    anywhere = post(client, with_changes(GOOD, designation=None))
    blank = post(client, with_changes(GOOD, designation=""))

    assert food.status_code == anywhere.status_code == blank.status_code == 201
    assert food.json()["designation"] == "food"
    assert Donation.objects.get(pk=food.json()["id"]).designation.code == "food"
    assert Donation.objects.get(pk=anywhere.json()["id"]).designation is None
    assert Donation.objects.get(pk=blank.json()["id"]).designation is None


def test_covering_fees_charges_more_and_keeps_the_gift(client, appeals, standin):
    answer = post(client, with_changes(GOOD, cover_fees=True))

    assert answer.status_code == 201, answer.content
    body = answer.json()
    charged = 2500 + estimate_fee_to_cover(2500, "GBP")
    assert body["gift_amount"] == "25.00"
    assert body["amount"] == to_major_str(charged, "GBP")
    assert float(body["amount"]) > float(body["gift_amount"])
    donation = Donation.objects.get()
    assert (donation.amount, donation.gift_amount, donation.cover_fees) == (charged, 2500, True)
    [pi] = standin_list(standin, "payment_intents")
    assert pi["amount"] == charged


def test_covering_fees_on_a_yen_gift_stays_in_whole_yen(client, appeals):
    answer = post(client, with_changes(GOOD_JPY, cover_fees=True))
    assert answer.status_code == 201
    assert answer.json()["gift_amount"] == "3000"
    assert answer.json()["amount"] == str(3000 + estimate_fee_to_cover(3000, "JPY"))


def test_the_article_that_sent_the_donor_is_kept_with_the_donation(client, appeals):
    attribution = {
        "utm_source": "guardian", "utm_medium": "article", "utm_campaign": "floods-2026",
        "utm_content": "inline-button", "ref": "https://news.example/floods-live",
    }
    answer = post(client, {**GOOD, **attribution})

    assert answer.status_code == 201
    donation = Donation.objects.get()
    assert {name: getattr(donation, name) for name in attribution} == attribution


def test_anonymous_gift_is_marked_anonymous(client, appeals):
    assert post(client, with_changes(GOOD, anonymous=True)).status_code == 201
    assert Donation.objects.get().anonymous is True


def test_gift_aid_stores_the_declaration_with_its_wording_and_a_tidy_postcode(client, appeals):
    answer = post(client, with_changes(GIFT_AID, postcode="sw1a1aa",
                                       address_line1="  10 Downing Street "),
                  key="gift-aid-1")

    assert answer.status_code == 201, answer.content
    donation = Donation.objects.get()
    assert donation.gift_aid is True
    assert (donation.address_line1, donation.postcode) == ("10 Downing Street", "SW1A 1AA")
    declaration = GiftAidDeclaration.objects.get(donation=donation)
    assert declaration.wording == gift_aid_wording(settings.CHARITY_NAME)
    assert settings.CHARITY_NAME in declaration.wording
    assert declaration.wording_version == settings.GIFT_AID_DECLARATION_VERSION
    assert declaration.declared_at is not None
    assert (declaration.first_name, declaration.last_name) == ("Ada", "Lovelace")
    assert (declaration.address_line1, declaration.postcode) == ("10 Downing Street", "SW1A 1AA")


def test_without_gift_aid_no_address_is_kept_and_no_declaration_made(client, appeals):
    answer = post(client, with_changes(GOOD, address_line1="10 Downing Street",
                                       postcode="SW1A 2AA"))
    assert answer.status_code == 201
    donation = Donation.objects.get()
    assert (donation.gift_aid, donation.address_line1, donation.postcode) == (False, "", "")
    assert GiftAidDeclaration.objects.count() == 0


# --- Idempotency-Key ----------------------------------------------------------------------


def test_retry_with_the_same_key_returns_the_same_donation_and_payment_intent(
    client, appeals, standin
):
    first = post(client, GOOD, key="retry-1")
    second = post(client, GOOD, key="retry-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Donation.objects.count() == 1
    assert len(standin_list(standin, "payment_intents")) == 1


def test_same_key_with_another_body_is_refused_and_creates_nothing(client, appeals, standin):
    first = post(client, GOOD, key="retry-2")
    other = post(client, with_changes(GOOD, amount="50.00"), key="retry-2")

    assert first.status_code == 201
    assert other.status_code in (409, 422)
    assert "Idempotency-Key" in other.json()
    assert Donation.objects.count() == 1
    assert Donation.objects.get().amount == 2500
    assert len(standin_list(standin, "payment_intents")) == 1


def test_a_key_whose_first_try_was_refused_still_works_with_the_corrected_body(
    client, appeals, standin
):
    refused = post(client, with_changes(GOOD, email="nope"), key="retry-3")
    fixed = post(client, GOOD, key="retry-3")

    assert refused.status_code == 400
    assert fixed.status_code == 201, fixed.content
    assert Donation.objects.count() == 1
    assert len(standin_list(standin, "payment_intents")) == 1


def test_different_keys_make_different_donations(client, appeals, standin):
    one = post(client, GOOD, key="page-load-1")
    two = post(client, GOOD, key="page-load-2")
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]
    assert one.json()["client_secret"] != two.json()["client_secret"]
    assert len(standin_list(standin, "payment_intents")) == 2


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_retries_make_one_donation_and_one_payment_intent(
    demo, live_server, standin
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need a server database (SQLite here)")
    barrier = threading.Barrier(8)
    answers = [None] * 8

    def donate(i):
        barrier.wait()
        answers[i] = create_donation(live_server.url, key="same-tap-8-times")

    threads = [threading.Thread(target=donate, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)
    assert Donation.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert len(standin_list(standin, "payment_intents")) == 1


# --- a double submit after the card step ------------------------------------------------


def _succeeded_charges(standin):
    return [c for c in standin_list(standin, "charges") if c["status"] == "succeeded"]


@pytest.mark.django_db(transaction=True)
def test_paying_again_after_success_answers_succeeded_without_a_second_charge(
    demo, live_server, standin
):
    donation_id = create_donation(live_server.url, key="double-submit").json()["id"]
    first = give_card(live_server.url, donation_id, "4242424242424242")
    assert first.status_code == 200 and first.json()["status"] == "succeeded"

    # The whole submit again (helpers.give_card a second time, a new token): no new charge,
    # the answer is succeeded.
    again_pay = give_card(live_server.url, donation_id, "4242424242424242")
    assert again_pay.status_code == 200 and again_pay.json()["status"] == "succeeded"

    assert len(_succeeded_charges(standin)) == 1
    assert len(standin_list(standin, "payment_intents")) == 1
    assert Donation.objects.get(pk=donation_id).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_pays_charge_the_card_once(demo, live_server, standin):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need a server database (SQLite here)")
    donation_id = create_donation(live_server.url, key="double-tap-pay").json()["id"]
    token = confirmation_token("4242424242424242")
    barrier = threading.Barrier(2)
    answers = [None, None]

    def pay(i):
        barrier.wait()
        answers[i] = requests.post(f"{live_server.url}/api/v1/donations/{donation_id}/pay/",
                                   json={"confirmation_token": token}, timeout=60)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert [a.json()["status"] for a in answers] == ["succeeded", "succeeded"]
    assert len(_succeeded_charges(standin)) == 1
    assert Donation.objects.get(pk=donation_id).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_pay_with_a_confirmation_token_stripe_does_not_know_is_a_400_on_that_field(
    demo, live_server
):
    """A made-up token is the browser's bad input, not an outage: 400 on the field, the gift
    untouched and still payable (the API fuzzer's token had answered 503 "Payments are
    unavailable")."""
    from tests.helpers import confirmation_token, create_donation

    gift = create_donation(live_server.url).json()
    answer = requests.post(f"{live_server.url}/api/v1/donations/{gift['id']}/pay/",
                           json={"confirmation_token": "ctoken_made_up"}, timeout=30)

    assert answer.status_code == 400
    assert list(answer.json()) == ["confirmation_token"]
    assert Donation.objects.get(pk=gift["id"]).status == "pending"
    paid = requests.post(f"{live_server.url}/api/v1/donations/{gift['id']}/pay/",
                         json={"confirmation_token": confirmation_token("4242424242424242")},
                         timeout=30)
    assert paid.json()["status"] == "succeeded"
