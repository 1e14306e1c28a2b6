"""The card-testing defence, through the real API and the Stripe stand-in.

Clients are told apart by their address (REMOTE_ADDR), as behind no proxy.
"""

import pytest
import stripe
from django.urls import reverse

from donations.models import BlockedAttempt, DefenceChange, DefenceState, Donation, StripeEvent
from donations.services import defence
from tests.helpers import confirmation_token, eventually, fire_at_once

pytestmark = pytest.mark.django_db(transaction=True)

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_DECLINED_AT_SETUP = "4000000000000002"  # declined when put into a SetupIntent
TESTER = "198.51.100.7"
DONOR = "203.0.113.20"


# The limits these tests hold the defence to (the defaults are more lenient; see
# docs/card-testing.md): small numbers, so that a test reaches them in a few attempts.
LIMITS = {"declines_per_client": "5/h", "declines_per_email": "4/h", "declines_per_card": "3/d",
          "creates_per_client": "60/10m", "setups_per_client": "60/10m",
          "cards_per_gift": "5/h"}
ATTACK_LIMITS = {**LIMITS, "declines_per_client": "2/h", "declines_per_email": "2/h",
                 "declines_per_card": "1/d", "creates_per_client": "10/10m",
                 "setups_per_client": "10/10m", "cards_per_gift": "3/h"}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.DEFENCE_LIMITS = dict(LIMITS)
    settings.DEFENCE_ATTACK_LIMITS = dict(ATTACK_LIMITS)
    settings.DEFENCE_ATTACK_THRESHOLD = "50/10m"


@pytest.fixture
def stripe_api(standin):
    return stripe.StripeClient("sk_test_x", base_addresses={"api": standin})


def payment_intents_at_stripe(stripe_api) -> int:
    return len(stripe_api.v1.payment_intents.list(params={"limit": 100}).data)


def new_gift(client, ip, email="donor@example.com", amount="5.00", **extra):
    return client.post("/api/v1/donations/", {
        "appeal": "emergency-appeal", "amount": amount, "currency": "GBP", "email": email,
        **extra}, content_type="application/json", REMOTE_ADDR=ip)


def try_card(client, ip, donation_id, number):
    """The card into a ConfirmationToken (as Stripe.js does), then pay."""
    return client.post(f"/api/v1/donations/{donation_id}/pay/",
                       {"confirmation_token": confirmation_token(number)},
                       content_type="application/json", REMOTE_ADDR=ip)


def give(client, ip, number, **fields):
    created = new_gift(client, ip, **fields)
    if created.status_code != 201:
        return created
    return try_card(client, ip, created.json()["id"], number)


def test_burst_of_declines_from_one_client_is_refused_and_real_donors_still_give(
    client, demo, stripe_api, settings
):
    # The stand-in declines one test card only: let the per-card limit look away here.
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "declines_per_card": "100/d"}
    limit = 5  # declines_per_client
    for i in range(limit):
        declined = give(client, TESTER, CARD_DECLINED, email=f"t{i}@example.com")
        assert declined.status_code == 402, declined.content

    before = payment_intents_at_stripe(stripe_api)
    refused = new_gift(client, TESTER, email="t-next@example.com")

    assert refused.status_code == 429
    assert "Nothing was charged" in refused.json()["non_field_errors"][0]
    assert int(refused["Retry-After"]) > 0
    assert payment_intents_at_stripe(stripe_api) == before  # refused before any PaymentIntent
    assert not Donation.objects.filter(email="t-next@example.com").exists()
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.DECLINES_CLIENT

    # The tester's pending gift cannot be paid from there either: no card is tried.
    pending = Donation.objects.filter(email="t0@example.com").get()
    assert try_card(client, TESTER, pending.pk, CARD_OK).status_code == 429

    paid = give(client, DONOR, CARD_OK, email="real@example.com")
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert Donation.objects.get(email="real@example.com").status == "succeeded"


def test_a_card_declined_again_and_again_is_not_tried_a_fourth_time_from_anywhere(
    client, demo, stripe_api
):
    for i in range(3):  # declines_per_card, each from another client and email
        assert give(client, f"192.0.2.{i + 1}", CARD_DECLINED,
                    email=f"c{i}@example.com").status_code == 402
    charges = len(stripe_api.v1.charges.list(params={"limit": 100}).data)

    # The tester's next try on a gift that saw a decline, from another address: a retry, so
    # the card's fingerprint is read from its ConfirmationToken before any confirm.
    retried = Donation.objects.get(email="c2@example.com")
    refused = try_card(client, "192.0.2.99", retried.pk, CARD_DECLINED)
    assert refused.status_code == 429
    blocked = BlockedAttempt.objects.get()
    assert blocked.reason == BlockedAttempt.Reason.DECLINES_CARD and blocked.card_fingerprint
    assert len(stripe_api.v1.charges.list(params={"limit": 100}).data) == charges

    # In attack mode a first try is screened by its card too (a fresh gift, a fresh address).
    # Its limits count in windows of their own: one decline reaches its declines_per_card.
    defence.switch(attack_mode=True, reason="testers")
    assert give(client, "192.0.2.97", CARD_DECLINED, email="c3@example.com").status_code == 402
    charges = len(stripe_api.v1.charges.list(params={"limit": 100}).data)
    created = new_gift(client, "192.0.2.98", email="c-last@example.com")
    assert created.status_code == 201
    refused = try_card(client, "192.0.2.98", created.json()["id"], CARD_DECLINED)

    assert refused.status_code == 429
    assert BlockedAttempt.objects.filter(
        reason=BlockedAttempt.Reason.DECLINES_CARD).exclude(card_fingerprint="").count() == 2
    pi = stripe_api.v1.payment_intents.retrieve(
        Donation.objects.get(email="c-last@example.com").stripe_payment_intent)
    assert pi.status == "requires_payment_method" and not pi.payment_method  # never charged
    assert len(stripe_api.v1.charges.list(params={"limit": 100}).data) == charges


def test_hidden_field_filled_by_a_bot_creates_nothing(client, demo, stripe_api):
    answer = new_gift(client, TESTER, website="http://spam.example")
    assert answer.status_code == 400
    assert not Donation.objects.exists()
    assert payment_intents_at_stripe(stripe_api) == 0
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.HONEYPOT


def test_attack_mode_raises_the_minimum_gift_and_tightens_the_limits(client, demo, stripe_api,
                                                                      admin_client, settings):
    settings.DEFENCE_ATTACK_LIMITS = {**settings.DEFENCE_ATTACK_LIMITS,
                                      "declines_per_card": "100/d"}
    answer = admin_client.post("/admin/donations/defencestate/add/",
                               {"attack_mode": "on", "until": "", "reason": "testers"})
    assert answer.status_code == 302
    small = new_gift(client, DONOR, amount="1.00")
    assert small.status_code == 400
    assert "minimum gift is £5.00" in small.json()["amount"][0]
    assert payment_intents_at_stripe(stripe_api) == 0

    for i in range(2):  # attack mode: 2 declines per client
        assert give(client, TESTER, CARD_DECLINED, email=f"a{i}@example.com").status_code == 402
    assert new_gift(client, TESTER, email="a2@example.com").status_code == 429
    assert give(client, DONOR, CARD_OK, amount="5.00").json()["status"] == "succeeded"
    assert set(BlockedAttempt.objects.values_list("attack_mode", flat=True)) == {True}


def test_declines_across_the_site_switch_attack_mode_on(client, demo, settings):
    settings.DEFENCE_ATTACK_THRESHOLD = "3/10m"
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "declines_per_card": "100/d"}
    for i in range(4):
        give(client, f"192.0.2.{i + 10}", CARD_DECLINED, email=f"s{i}@example.com")
    state = DefenceState.current()
    assert state.attack_mode_active
    assert "declines across the site" in state.reason
    assert new_gift(client, DONOR, amount="1.00").status_code == 400


def test_many_cards_tried_on_one_gift_are_refused_from_any_address(client, demo, stripe_api,
                                                                    settings):
    # Only cards_per_gift may refuse here: the stand-in declines one test card only, and one
    # gift is one email, so the per-card and per-email decline limits look away.
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "declines_per_card": "100/d",
                               "declines_per_email": "100/h"}
    created = new_gift(client, DONOR)
    gift = created.json()["id"]
    for i in range(5):  # cards_per_gift: a donor retyping a card is well within it
        assert try_card(client, f"192.0.2.{40 + i}", gift,
                        CARD_DECLINED).status_code == 402
    refused = try_card(client, "192.0.2.99", gift, CARD_OK)
    assert refused.status_code == 429
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.CARDS_PER_GIFT
    pi = stripe_api.v1.payment_intents.retrieve(
        Donation.objects.get(pk=gift).stripe_payment_intent)
    assert pi.status == "requires_payment_method"  # the good card was never charged


# --- every card attempt counts, whoever reports the decline -------------------------------


def events_received(kind: str, count: int):
    eventually(lambda: StripeEvent.objects.filter(type=kind).count() >= count, timeout=30,
               what=f"{count} {kind} events delivered")


def test_a_decline_our_confirm_and_stripes_event_both_report_counts_once(
    client, demo, webhooks
):
    for i in range(3):  # declines_per_client is 5; each from another email
        declined = give(client, TESTER, CARD_DECLINED, email=f"twice{i}@example.com")
        assert declined.status_code == 402
    events_received("payment_intent.payment_failed", 3)

    # 3 declines, each reported twice: counted 3 times, under the limit of 5.
    assert new_gift(client, TESTER, email="twice-next@example.com").status_code == 201


def decline_past_us(stripe_api, event_type: str, donation: Donation) -> None:
    """A declining card confirmed at Stripe without our pay request: into the gift's
    PaymentIntent (Stripe.js with its client_secret), or a SetupIntent (our flow makes none;
    another integration might)."""
    paying = event_type == "payment_intent.payment_failed"
    card = stripe_api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": CARD_DECLINED if paying else CARD_DECLINED_AT_SETUP,
        "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    with pytest.raises(stripe.CardError):
        if paying:
            pi = donation.stripe_payment_intent
            stripe_api.v1.payment_intents.update(pi, params={"payment_method": card.id})
            stripe_api.v1.payment_intents.confirm(pi)
        else:
            setup = stripe_api.v1.setup_intents.create(params={
                "payment_method_types": ["card"], "metadata": {"donation_id": str(donation.pk)}})
            stripe_api.v1.setup_intents.confirm(setup.id, params={"payment_method": card.id})


@pytest.mark.parametrize("event_type", ["payment_intent.payment_failed",
                                        "setup_intent.setup_failed"])
def test_declines_only_stripe_reports_count_against_the_email(
    client, demo, webhooks, stripe_api, settings, event_type
):
    # Past check_pay: only Stripe's event tells us.
    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "declines_per_card": "100/d"}
    for i in range(4):  # declines_per_email
        created = new_gift(client, f"192.0.2.{60 + i}", email="tester@example.com")
        assert created.status_code == 201, created.content
        decline_past_us(stripe_api, event_type, Donation.objects.get(pk=created.json()["id"]))
    events_received(event_type, 4)
    # The event is stored before its decline is counted: wait for the count, not the row.
    refused = eventually(
        lambda: (answer := new_gift(client, "192.0.2.99", email="tester@example.com"))
        .status_code == 429 and answer, timeout=30, what="the email refused")
    assert refused.status_code == 429
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.DECLINES_EMAIL


# --- the attack-mode switch: one row, whoever reads or writes it first --------------------


def test_concurrent_first_use_makes_one_switch_and_the_site_reads_the_admins_setting(
    client, demo, admin_client
):
    # Eight requests reach an empty table at once (a fresh site's first burst).
    fire_at_once(*[DefenceState.current for _ in range(8)])
    assert DefenceState.objects.count() == 1

    switch = DefenceState.objects.get()
    answer = admin_client.post(
        reverse("admin:donations_defencestate_change", args=[switch.pk]),
        {"attack_mode": "on", "until": "", "reason": "testers at work"})
    assert answer.status_code == 302
    assert DefenceState.objects.count() == 1

    small = new_gift(client, DONOR, amount="1.00")  # what the site reads: attack mode on
    assert small.status_code == 400
    assert "minimum gift is £5.00" in small.json()["amount"][0]


def test_the_admin_switch_is_one_page_and_each_change_is_in_the_audit_log(admin_client, demo):
    changelist = admin_client.get(reverse("admin:donations_defencestate_changelist"))
    assert changelist.status_code == 302  # straight to the one switch
    page = admin_client.get(changelist["Location"])
    assert page.status_code == 200
    assert admin_client.post(changelist["Location"], {
        "attack_mode": "on", "until": "", "reason": "testers at work"}).status_code == 302
    assert admin_client.post(changelist["Location"], {
        "attack_mode": "", "until": "", "reason": "quiet again"}).status_code == 302

    log = admin_client.get(reverse("admin:audit-log")).content.decode()
    assert "attack mode on" in log and "testers at work" in log
    assert "attack mode off" in log and "quiet again" in log
    assert DefenceChange.objects.filter(actor__username="admin").count() == 2
    assert not DefenceState.current().attack_mode_active
