"""A monthly gift's failed month, the donor's email and new card, and Stripe giving up
(issue 15; docs/monthly-gifts.md, "A failed month", "The card page", "After Stripe gives up"):
through the stand-in, the webhooks it delivers to the live server, a real Celery worker and
an aiosmtpd inbox. The browser's side of the card page is tests/browser/test_monthly_card.py.
"""

import re
import time

import pytest
import requests
from django.conf import settings

from donations.models import Donation, RegularGift, RegularGiftEvent
from tests.conftest import Worker
from tests.donations.test_monthly import (
    CARD_OK,
    month_declined_at_stripe,
    next_month_at_stripe,
    paid_monthly,
    regular_gift,
    standin_events,
    stripe_api,  # noqa: F401  (a fixture)
)
from tests.donations.test_webhooks import deliver, example, stripe_event
from tests.helpers import confirmation_token, eventually
from tests.unit.test_card_links import signed_days_ago

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_worker(worker_env, live_server):
    """A worker whose emails link to the live server (SITE_URL)."""
    w = Worker({**worker_env, "SITE_URL": live_server.url}).start()
    yield w
    w.stop()


def card_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/donor/monthly/\S+/card/\?t=\S+", text)
    return link


def past_due_with_email(webhooks, stripe_api, standin, inbox, client) -> tuple[dict, str]:
    """A gift whose second month failed at Stripe; its donor's one email."""
    gift = paid_monthly(webhooks.url)
    invoice = month_declined_at_stripe(stripe_api, standin, gift["regular_gift"])
    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "past_due",
               timeout=15, what="past due after the declined month")
    # The receipt of the first month, then the failed month's email.
    messages = inbox.wait_for(2, timeout=30)
    failed = [m for m in messages if "could not take" in m["Subject"]]
    assert len(failed) == 1, [m["Subject"] for m in messages]
    return gift, invoice


def save_card(url: str, number: str) -> requests.Response:
    """What the card page's script does: a ConfirmationToken made at Stripe from the page,
    POSTed to the page with its CSRF token."""
    session = requests.Session()
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    return session.post(url, json={"confirmation_token": confirmation_token(number)},
                        headers={"X-CSRFToken": csrf, "Referer": url}, timeout=60)


def test_a_failed_month_emails_the_donor_once_with_a_link_to_a_new_card(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    gift, invoice = past_due_with_email(webhooks, stripe_api, standin, inbox, client)

    (failed,) = [m for m in inbox.messages if "could not take" in m["Subject"]]
    assert failed["To"] == "donor@example.com"
    assert failed["Subject"] == "We could not take your monthly gift of £25.00"
    text = failed.get_body(preferencelist=("plain",)).get_content()
    assert "this month's £25.00 for your monthly gift to Emergency Appeal" in text
    assert "The link works for 7 days." in text
    html = failed.get_body(preferencelist=("html",)).get_content()
    assert "Put in a new card" in html
    link = card_link(failed)
    assert link.startswith(f"{webhooks.url}/donor/monthly/{gift['regular_gift']}/card/?t=")
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and "could not be taken" in page.text
    cache = page.headers["Cache-Control"]
    assert "no-store" in cache and "private" in cache

    # Stripe's event delivered again, and another failure of the same invoice (its retry):
    # no second email.
    (sent,) = standin_events(settings.STRIPE_API_BASE, "invoice.payment_failed", invoice)
    assert deliver(client, sent).status_code == 200
    again = {**sent, "id": sent["id"] + "retry"}
    assert deliver(client, again).status_code == 200
    time.sleep(4)
    assert len([m for m in inbox.messages if "could not take" in m["Subject"]]) == 1
    # The gift's history says what happened, for the admin.
    kinds = list(RegularGiftEvent.objects.filter(regular_gift_id=gift["regular_gift"])
                 .values_list("kind", "from_status", "to_status"))
    assert ("status", "active", "past_due") in kinds and ("emailed", "", "") in kinds


def test_the_new_card_pays_the_failed_month_once_and_the_months_after(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    gift, invoice = past_due_with_email(webhooks, stripe_api, standin, inbox, client)
    link = card_link([m for m in inbox.messages if "could not take" in m["Subject"]][0])

    saved = save_card(link, CARD_OK)

    assert saved.status_code == 200, saved.text
    assert saved.json()["outcome"] == "paid" and saved.json()["status"] == "active"
    shown = regular_gift(client, gift["regular_gift"])
    assert shown["status"] == "active"
    assert len(shown["payments"]) == 2 and all(p["receipt_number"] for p in shown["payments"])
    month = Donation.objects.get(pk=shown["payments"][1]["id"])
    assert month.stripe_invoice == invoice and month.status == "succeeded"
    # The failed invoice is the month paid, once, whatever its webhook brings after.
    eventually(lambda: standin_events(settings.STRIPE_API_BASE, "invoice.payment_succeeded",
                                      invoice), timeout=10, what="the paid month's event")
    time.sleep(1.5)
    assert len(regular_gift(client, gift["regular_gift"])["payments"]) == 2
    # The next month is paid with the new card.
    next_month_at_stripe(stripe_api, gift["regular_gift"])
    payments = eventually(lambda: (lambda p: p if len(p) == 3 else None)(
        regular_gift(client, gift["regular_gift"])["payments"]), timeout=15, what="month 3")
    assert [p["status"] for p in payments] == ["succeeded"] * 3
    assert client.get("/api/v1/appeals/emergency-appeal/").json()["raised_amount"] == "75.00"


def test_a_card_the_bank_declines_changes_nothing_and_says_so(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    gift, _ = past_due_with_email(webhooks, stripe_api, standin, inbox, client)
    link = card_link([m for m in inbox.messages if "could not take" in m["Subject"]][0])

    # 4000000000000002 is refused when it is saved (attached): nothing changed at Stripe.
    refused = save_card(link, "4000000000000002")

    assert refused.status_code == 402
    assert "Nothing was taken" in refused.json()["message"]
    shown = regular_gift(client, gift["regular_gift"])
    assert shown["status"] == "past_due" and len(shown["payments"]) == 1


@pytest.mark.parametrize("token", ["", "nonsense", "forged:1abc:xyz"])
def test_the_card_page_without_a_valid_link_says_it_expired(demo, live_server, stripe_api,
                                                            token):
    gift = paid_monthly(live_server.url)
    url = f"{live_server.url}/donor/monthly/{gift['regular_gift']}/card/?t={token}"

    page = requests.get(url, timeout=30)

    assert page.status_code == 403
    assert "This link has expired" in page.text and 'href="/donor/"' in page.text
    assert "card-element" not in page.text
    assert "no-store" in page.headers["Cache-Control"]


def test_a_link_older_than_seven_days_or_for_another_gift_is_refused(demo, live_server,
                                                                      stripe_api, client):
    from donations.services.card_links import card_link_token

    first = paid_monthly(live_server.url)
    other = paid_monthly(live_server.url, email="someone.else@example.com")
    gift = RegularGift.objects.get(pk=first["regular_gift"])
    base = f"{live_server.url}/donor/monthly/{gift.pk}/card/?t="
    old = signed_days_ago(str(gift.pk), 8)
    assert requests.get(base + old, timeout=30).status_code == 403
    others = card_link_token(RegularGift.objects.get(pk=other["regular_gift"]))
    assert requests.get(base + others, timeout=30).status_code == 403
    fresh = requests.get(base + card_link_token(gift), timeout=30)
    assert fresh.status_code == 200 and "card-element" in fresh.text
    # A save with an expired link is refused too.
    refused = client.post(f"/donor/monthly/{gift.pk}/card/?t={old}",
                          {"confirmation_token": "ctoken_123456789"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert "expired" in refused.json()["non_field_errors"][0]


def test_a_donor_signed_in_with_the_gifts_email_may_change_its_card(demo, live_server, client,
                                                                    stripe_api):
    gift = paid_monthly(live_server.url)
    url = f"/donor/monthly/{gift['regular_gift']}/card/"
    assert client.get(url).status_code == 403
    session = client.session
    session["donor_email"] = "DONOR@Example.com"
    session.save()

    page = client.get(url)

    assert page.status_code == 200 and b"card-element" in page.content
    assert "no-store" in page["Cache-Control"]


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"confirmation_token": 5}', b'{"confirmation_token": "pm_123456789"}',
    b'{"confirmation_token": "ctoken_123456789", "setup_intent": "seti_123456789"}',
    b'{"confirmation_token": "' + b"ctoken_" + b"x" * 5000 + b'"}',
])
def test_bad_input_on_the_card_page_is_a_400_and_changes_nothing(demo, live_server, client,
                                                                  stripe_api, stripe_calls,
                                                                  body):
    from donations.services.card_links import card_link_token

    gift = RegularGift.objects.get(pk=paid_monthly(live_server.url)["regular_gift"])
    before = len(stripe_calls.seen)
    url = f"/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}"

    answer = client.post(url, body, content_type="application/json")

    assert answer.status_code == 400
    assert len(stripe_calls.seen) == before
    assert not RegularGiftEvent.objects.filter(regular_gift=gift, kind="card_updated").exists()


def test_many_cards_tried_on_a_gifts_card_page_are_refused_before_stripe(
        demo, live_server, client, stripe_api, stripe_calls, settings):
    from donations.models import BlockedAttempt
    from donations.services.card_links import card_link_token

    settings.DEFENCE_LIMITS = {**settings.DEFENCE_LIMITS, "cards_per_gift": "3/h"}
    gift = RegularGift.objects.get(pk=paid_monthly(live_server.url)["regular_gift"])
    url = f"/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}"

    def save(number, address):
        return client.post(url, {"confirmation_token": confirmation_token(number, standin)},
                           content_type="application/json", REMOTE_ADDR=address)

    standin = settings.STRIPE_API_BASE
    for i in range(3):  # a donor retyping a card is well within it
        assert save("4000000000000002", f"192.0.2.{10 + i}").status_code == 402
    setups = stripe_calls.count("POST", "/v1/setup_intents")
    refused = save(CARD_OK, "192.0.2.99")

    assert refused.status_code == 429 and refused.json()["non_field_errors"]
    assert stripe_calls.count("POST", "/v1/setup_intents") == setups  # never tried
    assert BlockedAttempt.objects.get().reason == BlockedAttempt.Reason.CARDS_PER_GIFT


def test_an_unknown_token_is_a_400_on_the_card_page(demo, live_server, client, stripe_api):
    from donations.services.card_links import card_link_token

    gift = RegularGift.objects.get(pk=paid_monthly(live_server.url)["regular_gift"])
    answer = client.post(f"/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}",
                         {"confirmation_token": "ctoken_madeupbyabrowser"},
                         content_type="application/json")
    assert answer.status_code == 400 and "confirmation_token" in answer.json()


# --- after Stripe gives up -----------------------------------------------------------------


def test_a_gift_made_in_german_is_told_of_its_failed_month_in_german(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    gift = paid_monthly(webhooks.url)
    # Made on the German page (the form sends the page's language; tests/test_languages.py).
    RegularGift.objects.filter(pk=gift["regular_gift"]).update(language="de")
    month_declined_at_stripe(stripe_api, standin, gift["regular_gift"])
    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "past_due",
               timeout=15, what="past due after the declined month")

    messages = inbox.wait_for(2, timeout=30)
    (failed,) = [m for m in messages if "nicht abbuchen" in m["Subject"]]
    # (str.strip: the long encoded header is folded after "Subject:", as mail clients read it)
    assert failed["Subject"].strip() == (
        "Wir konnten Ihre monatliche Spende von 25,00\u00a0£ nicht abbuchen")
    text = failed.get_body(preferencelist=("plain",)).get_content()
    assert "Der Link funktioniert 7 Tage lang." in text
    html = failed.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="de" dir="ltr">' in html and "Neue Karte eingeben" in html


def test_when_stripe_gives_up_the_gift_is_canceled_and_the_donor_told_once(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    gift, _ = past_due_with_email(webhooks, stripe_api, standin, inbox, client)
    subscription = RegularGift.objects.get(pk=gift["regular_gift"]).stripe_subscription

    stripe_api.v1.subscriptions.cancel(subscription)

    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "canceled",
               timeout=15, what="canceled after Stripe gave up")
    messages = inbox.wait_for(3, timeout=30)
    (ended,) = [m for m in messages if "has ended" in m["Subject"]]
    assert ended["Subject"] == "Your monthly gift of £25.00 has ended"
    text = ended.get_body(preferencelist=("plain",)).get_content()
    assert "Nothing more will be taken" in text
    assert f"{webhooks.url}/appeals/emergency-appeal/" in text
    # The deletion delivered again, and a late "updated" saying canceled: still one email.
    (deleted,) = standin_events(settings.STRIPE_API_BASE, "customer.subscription.deleted",
                                subscription)
    assert deliver(client, deleted).status_code == 200
    late = example("subscription")
    late.update(id=subscription, status="canceled",
                customer=RegularGift.objects.get(pk=gift["regular_gift"]).stripe_customer)
    assert deliver(client, stripe_event("customer.subscription.updated", late)).status_code == 200
    time.sleep(4)
    assert len([m for m in inbox.messages if "has ended" in m["Subject"]]) == 1
    # Nothing more is collected: the card page says the gift has ended.
    from donations.services.card_links import card_link_token

    page = client.get(f"/donor/monthly/{gift['regular_gift']}/card/?t="
                      f"{card_link_token(RegularGift.objects.get(pk=gift['regular_gift']))}")
    assert b"has ended" in page.content and b"card-element" not in page.content


def test_a_gift_canceled_while_active_is_not_told_it_failed(demo, webhooks, stripe_api, inbox,
                                                          mail_worker, client):
    gift = paid_monthly(webhooks.url)
    subscription = RegularGift.objects.get(pk=gift["regular_gift"]).stripe_subscription

    stripe_api.v1.subscriptions.cancel(subscription)

    eventually(lambda: regular_gift(client, gift["regular_gift"])["status"] == "canceled",
               timeout=15, what="canceled")
    inbox.wait_for(1, timeout=30)  # the first month's receipt
    time.sleep(3)
    assert [m["Subject"] for m in inbox.messages if "has ended" in m["Subject"]] == []


def test_a_failed_months_email_lost_with_the_broker_goes_with_the_sweep(
        demo, webhooks, stripe_api, standin, inbox, worker_env, live_server, client):
    from celery import current_app

    from donations.models import RegularGiftNotice
    from donations.services.regular_gift_notices import regular_gift_notice_sweep

    gift = paid_monthly(webhooks.url)
    month_declined_at_stripe(stripe_api, standin, gift["regular_gift"])
    notice = eventually(lambda: RegularGiftNotice.objects.filter(
        regular_gift_id=gift["regular_gift"]).first(), timeout=15, what="the notice")
    # Its message lost (a broker that lost its queue). The row is visible a moment before
    # the webhook's on-commit hook publishes the message: purge for a while, not once.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        current_app.control.purge()
        time.sleep(0.2)
    worker = Worker({**worker_env, "SITE_URL": live_server.url}).start()
    try:
        time.sleep(3)
        assert not [m for m in inbox.messages if "could not take" in m["Subject"]]

        assert regular_gift_notice_sweep(older_than_seconds=0) == 1

        eventually(lambda: [m for m in inbox.messages if "could not take" in m["Subject"]],
                   timeout=30, what="the swept email")
        eventually(lambda: RegularGiftNotice.objects.get(pk=notice.pk).sent_at, timeout=10,
                   what="the email recorded as sent")
        assert regular_gift_notice_sweep(older_than_seconds=0) == 0  # sent: not again
    finally:
        worker.stop()
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-unsent-regular-gift-notices"]
    assert entry["task"] == "donations.tasks.sweep_unsent_regular_gift_notices"


def test_a_past_due_gift_canceled_by_request_is_not_told_stripe_gave_up(
        demo, webhooks, stripe_api, standin, inbox, mail_worker, client):
    """Stripe names why it ended a subscription (`cancellation_details.reason`): canceled on
    request (the donor's page, the Dashboard), the donor is not told the payments failed."""
    gift, _ = past_due_with_email(webhooks, stripe_api, standin, inbox, client)
    kept = RegularGift.objects.get(pk=gift["regular_gift"])
    deleted = example("subscription")
    deleted.update(id=kept.stripe_subscription, status="canceled", customer=kept.stripe_customer,
                   cancellation_details={"comment": None, "feedback": None,
                                         "reason": "cancellation_requested"})

    assert deliver(client, stripe_event("customer.subscription.deleted", deleted)
                   ).status_code == 200

    assert regular_gift(client, gift["regular_gift"])["status"] == "canceled"
    time.sleep(3)
    assert [m["Subject"] for m in inbox.messages if "has ended" in m["Subject"]] == []


def test_a_failed_months_email_still_unsent_when_the_month_is_paid_is_not_sent(
        demo, webhooks, stripe_api, standin, inbox, client):
    """The worker was away while the donor fixed the card (signed in, say): the email that
    would say the month failed is no longer true, and neither the sweep nor its task sends
    it."""
    from celery import current_app

    from donations.models import RegularGiftNotice
    from donations.services.card_links import card_link_token
    from donations.services.regular_gift_notices import (
        regular_gift_notice_send,
        regular_gift_notice_sweep,
    )

    gift = RegularGift.objects.get(pk=paid_monthly(webhooks.url)["regular_gift"])
    month_declined_at_stripe(stripe_api, standin, gift.pk)
    notice = eventually(lambda: RegularGiftNotice.objects.filter(regular_gift=gift).first(),
                        timeout=15, what="the notice")
    current_app.control.purge()
    saved = save_card(f"{webhooks.url}/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}",
                      CARD_OK)
    assert saved.json()["status"] == "active"

    assert regular_gift_notice_sweep(older_than_seconds=0) == 0
    assert regular_gift_notice_send(notice_id=notice.pk) is False
    assert inbox.messages == []


def test_a_month_stripe_collected_unheard_of_is_not_paid_again_by_the_new_card(
        demo, webhooks, stripe_api, standin, client):
    """Stripe's own retry paid the month, its webhook never came: the new card is saved, the
    month is not paid again, and the gift reads active from Stripe."""
    from tests.conftest import MUTED
    from tests.donations.test_monthly import card_of_customer

    from donations.services.card_links import card_link_token

    gift = RegularGift.objects.get(pk=paid_monthly(webhooks.url)["regular_gift"])
    invoice = month_declined_at_stripe(stripe_api, standin, gift.pk)
    eventually(lambda: regular_gift(client, gift.pk)["status"] == "past_due", timeout=15,
               what="past due")
    requests.post(f"{standin}/_config/webhooks/lifeline", data=MUTED, timeout=5)
    card_of_customer(stripe_api, gift.stripe_customer, CARD_OK)
    assert stripe_api.v1.invoices.pay(invoice).status == "paid"  # Stripe's retry

    saved = save_card(f"{webhooks.url}/donor/monthly/{gift.pk}/card/?t={card_link_token(gift)}",
                      "5555555555554444")

    assert saved.status_code == 200 and saved.json()["outcome"] == "saved"
    assert saved.json()["status"] == "active"
    paid_invoices = [i for i in stripe_api.v1.invoices.list(
        params={"subscription": gift.stripe_subscription}).data if i.status == "paid"]
    assert len(paid_invoices) == 2  # the first month and the retried one, each once
