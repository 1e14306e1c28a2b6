"""A donor whose pay answer is slow or lost (issue 14): never told "nothing was charged" when
the confirm reached Stripe, never charged twice. In Debian's Chromium, through the live server,
the stand-in and a proxy in front of it that holds the confirm (tests/stripe_proxy.py).

The browser's pay request is cut as a flaky connection or a proxy's timeout cuts it: its exact
request (body and headers) reaches the live server, the browser gets a network error."""

import re
import threading

import pytest
import requests
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor, open_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAY = re.compile(r".*/api/v1/donations/[0-9a-f-]+/pay/$")
CREATE = re.compile(r".*/api/v1/donations/$")
STANDIN_AUTH = {"Authorization": "Bearer sk_test_x"}


class CutAnswer:
    """The first request to `url` goes on to the server; the browser's connection is reset."""

    def __init__(self, page, url=PAY):
        self.threads: list[threading.Thread] = []
        self.answers: list[requests.Response] = []
        page.route(url, self._cut, times=1)

    def _cut(self, route):
        request = route.request
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}

        def send():
            self.answers.append(requests.post(request.url, data=request.post_data_buffer,
                                              headers=headers, timeout=120))

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        self.threads.append(thread)
        route.abort("connectionreset")

    def join(self):
        for thread in self.threads:
            thread.join(60)
        return self.answers


def confirms(proxy) -> int:
    return sum(1 for method, path in proxy.seen
               if method == "POST" and re.fullmatch(r"/v1/payment_intents/[^/]+/confirm", path))


def succeeded_payment_intents(standin) -> list:
    answer = requests.get(f"{standin}/v1/payment_intents?limit=100", headers=STANDIN_AUTH,
                          timeout=10)
    answer.raise_for_status()
    return [pi for pi in answer.json()["data"] if pi["status"] == "succeeded"]


def test_a_lost_pay_answer_waits_for_the_gift_and_lands_on_its_thanks_page(
    demo, live_server, phone, stripe_calls, standin
):
    stripe_calls.hold("POST", r"/v1/payment_intents/[^/]+/confirm")
    cut = CutAnswer(phone)
    open_appeal(phone, live_server)
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    donate = phone.get_by_role("button", name=re.compile("Donate"))
    donate.click()

    # The answer is lost while Stripe is still charging the card: the page waits, and says so.
    status = phone.locator("#form-status")
    expect(status).to_have_text(re.compile("Still taking your gift. Please don't pay again"))
    expect(phone.locator("#err-card")).to_have_text("")
    expect(phone.locator("body")).not_to_contain_text("Nothing was charged")
    # Pressing Donate again (or Enter in a field) meanwhile starts nothing.
    expect(donate).to_be_disabled()
    donate.click(force=True)
    phone.get_by_label("Email (for your receipt)").press("Enter")
    phone.wait_for_timeout(2500)  # a second pay would have reached the proxy by now
    assert stripe_calls.held == 1

    stripe_calls.release()
    expect(phone).to_have_url(re.compile(r"/donations/[0-9a-f-]+/thanks/$"), timeout=30_000)
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert [a.status_code for a in cut.join()] == [200]  # the server did take the gift
    donation = Donation.objects.get()  # one donation
    assert donation.status == "succeeded"
    assert confirms(stripe_calls) == 1
    [pi] = succeeded_payment_intents(standin)  # one charge
    assert pi["id"] == donation.stripe_payment_intent


def test_a_declined_card_whose_answer_is_lost_says_declined_then_another_card_pays(
    demo, live_server, phone, stripe_calls, standin
):
    cut = CutAnswer(phone)
    open_appeal(phone, live_server)
    fill_donor(phone)
    fill_card(phone, "4000000000000341")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    # Read from the gift's own status, not from the lost answer.
    expect(phone.locator("#err-card")).to_contain_text("declined", timeout=30_000)
    expect(phone.locator("#err-card")).to_contain_text("try another card")
    assert [a.status_code for a in cut.join()] == [402]
    assert Donation.objects.get().status == "failed"

    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    donation = Donation.objects.get()  # the same donation
    assert donation.status == "succeeded" and donation.attempts.count() == 1
    [pi] = succeeded_payment_intents(standin)
    assert pi["id"] == donation.stripe_payment_intent


def test_a_slow_pay_answer_says_still_taking_then_lands_on_the_thanks_page(
    demo, live_server, phone, stripe_calls, standin
):
    stripe_calls.hold("POST", r"/v1/payment_intents/[^/]+/confirm")
    open_appeal(phone, live_server)
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.locator("#form-status")).to_have_text("Taking your gift…")
    # No answer after ~8 s: the donor is told it is still being taken, not that it failed.
    expect(phone.locator("#form-status")).to_have_text(
        re.compile("Still taking your gift. Please don't pay again"), timeout=12_000)
    expect(phone.locator("#err-card")).to_have_text("")
    stripe_calls.release()
    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert confirms(stripe_calls) == 1 and len(succeeded_payment_intents(standin)) == 1


def test_a_lost_create_answer_is_sent_again_and_makes_one_donation(
    demo, live_server, phone, stripe_calls, standin
):
    cut = CutAnswer(phone, CREATE)
    open_appeal(phone, live_server)
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert [a.status_code for a in cut.join()] == [201]  # the lost answer had made it…
    donation = Donation.objects.get()  # …and the retry, with the same key, found it
    assert donation.status == "succeeded"
    assert stripe_calls.count("POST", "/v1/payment_intents") - confirms(stripe_calls) == 1


def test_a_pay_shed_before_any_work_is_sent_again_once_with_the_same_token(
    demo, live_server, phone, stripe_calls, standin
):
    """A pay the web server shed at its deadline (config/deadlines.py; the live server here is
    not that server, so the shed answer is given in its exact shape): nothing ran, so the page
    sends it again after Retry-After with the same ConfirmationToken, and the gift is paid."""
    sent = []
    phone.on("request", lambda r: sent.append(r.post_data_json) if PAY.match(r.url) else None)
    phone.route(PAY, lambda route: route.fulfill(
        status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
        body='{"detail": "The server was too busy to start this request in time; nothing was '
             'done. Please try again.", "shed": true}'), times=1)
    open_appeal(phone, live_server)
    fill_donor(phone)
    fill_card(phone, "4242424242424242")
    phone.get_by_role("button", name=re.compile("Donate")).click()

    expect(phone.get_by_test_id("status")).to_have_text("Succeeded")
    assert len(sent) == 2 and sent[0] == sent[1]  # the same confirmation_token, twice
    assert confirms(stripe_calls) == 1 and len(succeeded_payment_intents(standin)) == 1
