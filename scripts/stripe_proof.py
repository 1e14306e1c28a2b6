"""One-command proof against Stripe's test mode (`make stripe-proof`, issue 14).

    STRIPE_SECRET_KEY=sk_test_… make stripe-proof
    STRIPE_SECRET_KEY=sk_test_… STRIPE_API_BASE=http://127.0.0.1:8420 make stripe-proof

Drives Lifeline's own code, not raw Stripe: Django in this process on a throwaway SQLite
database (a temporary folder, migrated and seeded with the demo appeals, removed at the end),
and for each gift the services the API's views call (donations/services/create.py,
pay.py, refunds.py, stripe_events.py), with the card in a ConfirmationToken made by Stripe's
test helper (`POST /v1/test_helpers/confirmation_tokens`, through gateways.stripe) where a
donor's Stripe.js would make it. The cases:

  (a) pm_card_visa: succeeded; the PaymentIntent, charge, fee and net, and the Stripe calls
      our code made;
  (b) pm_card_visa_chargeDeclined then pm_card_visa on the same gift: failed, then
      succeeded on the same PaymentIntent;
  (c) pm_card_threeDSecure2Required: requires_action once (a script cannot answer a bank's
      challenge), then canceled through our expiry service, at Stripe and here;
  (d) a partial refund of (a) through our refund service: partially_refunded, and Stripe's
      charge says the same amount_refunded;
  (e) a monthly gift: the first month paid with pm_card_visa (the subscription active at
      Stripe), a later month billed by an invoice and paid with the card Stripe kept, recorded
      by our services as a month of its own with its own receipt, then canceled by our cancel
      service (canceled at Stripe).

Webhooks cannot reach this process (it has no public address): each case instead reads the
PaymentIntent back from Stripe and compares it with the gift, as the reconciliation does.

Without STRIPE_SECRET_KEY it says so and exits 0, sending nothing. A live key (sk_live_,
rk_live_), or anything but a test-mode key, is refused: exit 2. Exit 1 if any case deviates.
docs/stripe-proof.md has the design.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

NO_KEY = ("STRIPE_SECRET_KEY is not set: nothing was sent to Stripe. Set a test-mode key "
          "(sk_test_…) to run the proof.")
LIVE_KEY = ("STRIPE_SECRET_KEY is a live key ({prefix}…): refused, nothing was sent. The proof "
            "runs in Stripe's test mode only: use the account's sk_test_… key.")
NOT_TEST_KEY = ("STRIPE_SECRET_KEY is not a Stripe test-mode key (sk_test_… or rk_test_…): "
                "refused, nothing was sent.")

# Stripe's test PaymentMethods (docs.stripe.com/testing, "PaymentMethods").
CARD_OK = "pm_card_visa"  # 4242 4242 4242 4242
CARD_DECLINED = "pm_card_visa_chargeDeclined"  # 4000 0000 0000 0002, generic decline
CARD_3DS = "pm_card_threeDSecure2Required"  # 4000 0000 0000 3220, 3-D Secure 2 always
# Where a bank's 3-D Secure page would send the donor back (never visited here).
RETURN_URL = "https://example.com/lifeline-stripe-proof/return"
# The gift every case gives: the demo appeal's, as a donor's browser posts it to the API.
GIFT = {"appeal": "emergency-appeal", "amount": "25.00", "currency": "GBP",
        "email": "stripe-proof@example.com", "first_name": "Stripe", "last_name": "Proof"}
REFUND = 1000  # of (a)'s 2500, in minor units
MONTHLY = {**GIFT, "frequency": "monthly"}
# What Stripe's `next_action.type` may be for a card's 3-D Secure (Stripe.js's own, or a
# redirect to the bank's page when the token carries a return_url).
THREE_DS_ACTIONS = ("use_stripe_sdk", "redirect_to_url")


def refusal(key: str) -> tuple[int, str] | None:
    """(exit code, message) when the proof must not run with `key`; None when it may."""
    if not key:
        return 0, NO_KEY
    if key.startswith(("sk_live_", "rk_live_")):
        return 2, LIVE_KEY.format(prefix=key[:8])
    if not key.startswith(("sk_test_", "rk_test_")):
        return 2, NOT_TEST_KEY
    return None


def setup_django(folder: str) -> None:
    """Django on a throwaway SQLite database in `folder`, migrated, with the demo appeals;
    nothing shared with `make run` (its database, cache, broker, mail)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/proof.sqlite3"
    os.environ["CACHE_URL"] = "locmemcache://stripe-proof"
    os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ["CELERY_BROKER_DIR"] = f"{folder}/broker"  # receipts queued here, never sent
    os.environ["EMAIL_URL"] = "consolemail://"
    os.environ.pop("STRIPE_ALLOW_LIVE", None)
    sys.path.insert(0, str(ROOT))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())


class StripeCalls:
    """Every HTTP request the SDK sends to STRIPE_API_BASE (retries count), as (method, path):
    the SDK sends through `requests`, so its Session is wrapped."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.seen: list[tuple[str, str]] = []

    def install(self) -> None:
        import requests

        original = requests.Session.request
        calls = self

        def request(session, method, url, *args, **kwargs):
            if str(url).startswith(calls.base):
                calls.seen.append((str(method).upper(), urlsplit(str(url)).path))
            return original(session, method, url, *args, **kwargs)

        requests.Session.request = request

    @contextmanager
    def counting(self):
        """The calls made inside the block (a list, filled when it ends)."""
        start, made = len(self.seen), []
        try:
            yield made
        finally:
            made.extend(self.seen[start:])


def described(calls: list[tuple[str, str]]) -> str:
    return f"{len(calls)} ({', '.join(f'{m} {p}' for m, p in calls)})"


@dataclass
class Case:
    name: str
    expected: str
    saw: list[str] = field(default_factory=list)
    deviations: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.deviations.append(what)
        return ok

    def note(self, line: str) -> None:
        self.saw.append(line)
        print(f"    {line}", flush=True)


class Proof:
    def __init__(self, calls: StripeCalls):
        from django.conf import settings

        self.calls = calls
        self.settings = settings
        self.cases: list[Case] = []
        self.paid = None  # (a)'s donation, for (d)

    # --- our code, as the API's views call it ----------------------------------------------

    def give(self, case: Case, body: dict = GIFT):
        """The gift, created as DonationCreateApi creates it: the same serializer, the same
        service (create.donation_create_once). Returns the donation."""
        from core.attribution import ATTRIBUTION_FIELDS
        from donations.api import GIFT_FIELDS
        from donations.models import Donation
        from donations.serializers import DonationCreateSerializer
        from donations.services import create

        serializer = DonationCreateSerializer(data=dict(body), context={"language": "en"})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with self.calls.counting() as made:
            answer = create.donation_create_once(
                client="stripe-proof", key="", fingerprint=create.request_fingerprint(body),
                answer=lambda donation, pi: {"id": str(donation.pk)},
                **{name: data[name] for name in GIFT_FIELDS},
                attribution={name: data[name] for name in ATTRIBUTION_FIELDS},
                charity_name=self.settings.CHARITY_NAME, ip_address=None,
                user_agent="scripts/stripe_proof.py",
            )
        donation = Donation.objects.get(pk=answer.body["id"])
        case.note(f"gift {donation.pk}: {donation.amount} {donation.currency} minor units, "
                  f"PaymentIntent {donation.stripe_payment_intent}; Stripe calls by our code: "
                  f"{described(made)}")
        return donation

    def pay(self, case: Case, donation, payment_method: str):
        """The card, as DonationPayApi charges it: a ConfirmationToken (made here by Stripe's
        test helper where the donor's Stripe.js would make it), then pay.donation_pay."""
        from donations.models import Donation
        from donations.services import pay
        from gateways import stripe as stripe_gateway

        token = stripe_gateway.confirmation_token_for_test(payment_method=payment_method,
                                                           return_url=RETURN_URL)
        with self.calls.counting() as made:
            outcome = pay.donation_pay(donation_id=donation.pk, confirmation_token=token)
        donation = Donation.objects.get(pk=donation.pk)
        case.note(f"{payment_method} ({token}): our answer '{outcome.status}'"
                  f"{f' ({outcome.message})' if outcome.message else ''}, gift "
                  f"'{donation.status}'; Stripe calls by our code: {described(made)}")
        return outcome, donation

    def read_back(self, case: Case, donation):
        """The PaymentIntent as Stripe holds it now (what a webhook would have told us)."""
        from gateways import stripe as stripe_gateway

        pi = stripe_gateway.payment_intent_retrieve(donation.stripe_payment_intent)
        case.note(f"read back from Stripe: {pi.id} '{pi.status}'"
                  f"{f', next_action {pi.next_action_type}' if pi.next_action_type else ''}"
                  f"{f', charge {pi.charge_id}' if pi.charge_id else ''}")
        return pi

    # --- the cases ---------------------------------------------------------------------------

    def case_a(self, case: Case) -> None:
        donation = self.give(case)
        outcome, donation = self.pay(case, donation, CARD_OK)
        case.check(outcome.status == "succeeded", f"our answer was '{outcome.status}'")
        case.check(donation.status == "succeeded", f"the gift is '{donation.status}'")
        pi = self.read_back(case, donation)
        case.check(pi.status == "succeeded", f"Stripe says '{pi.status}'")
        case.check(bool(pi.charge_id) and donation.stripe_charge == pi.charge_id,
                   f"charge: ours '{donation.stripe_charge}', Stripe's '{pi.charge_id}'")
        case.note(f"PaymentIntent {pi.id}, charge {pi.charge_id}, fee {donation.fee}, net "
                  f"{donation.net} (minor units, {donation.currency}); card "
                  f"{donation.card_brand} {donation.card_last4}")
        if case.check(donation.fee is not None and donation.net is not None,
                      "no fee or net recorded (the charge's balance transaction)"):
            case.check(donation.fee == pi.fee and donation.net == pi.net
                       and donation.net == donation.amount - donation.fee,
                       f"fee {donation.fee} + net {donation.net} is not {donation.amount}, or "
                       f"differs from Stripe's {pi.fee}/{pi.net}")
        if not case.deviations:
            self.paid = donation

    def case_b(self, case: Case) -> None:
        donation = self.give(case)
        first = donation.stripe_payment_intent
        outcome, donation = self.pay(case, donation, CARD_DECLINED)
        case.check(outcome.status == "declined", f"first card: our answer '{outcome.status}'")
        case.check(donation.status == "failed", f"first card: the gift is '{donation.status}'")
        pi = self.read_back(case, donation)
        case.check(pi.status == "requires_payment_method",
                   f"after the decline Stripe says '{pi.status}'")
        outcome, donation = self.pay(case, donation, CARD_OK)
        case.check(outcome.status == "succeeded", f"second card: our answer '{outcome.status}'")
        case.check(donation.status == "succeeded", f"second card: the gift is '{donation.status}'")
        case.check(donation.stripe_payment_intent == first,
                   f"the PaymentIntent changed: {first} then {donation.stripe_payment_intent}")
        pi = self.read_back(case, donation)
        case.check(pi.status == "succeeded", f"after the second card Stripe says '{pi.status}'")
        case.note(f"same PaymentIntent both times: {first == donation.stripe_payment_intent} "
                  f"({first})")

    def case_c(self, case: Case) -> None:
        from django.utils import timezone

        from donations.models import Donation, DonationEvent
        from donations.services.stripe_events import donation_expire

        donation = self.give(case)
        outcome, donation = self.pay(case, donation, CARD_3DS)
        case.check(outcome.status == "requires_action", f"our answer '{outcome.status}'")
        case.check(bool(outcome.client_secret), "no client_secret for Stripe.js's challenge")
        case.check(donation.status == "pending", f"the gift is '{donation.status}'")
        pi = self.read_back(case, donation)
        case.check(pi.status == "requires_action", f"Stripe says '{pi.status}'")
        case.check(pi.next_action_type in THREE_DS_ACTIONS,
                   f"next_action '{pi.next_action_type}', not one of {THREE_DS_ACTIONS}")
        case.note("a script cannot answer the bank's 3-D Secure challenge (a person does, in "
                  "Stripe.js's frame): the gift is canceled instead, through our expiry service "
                  "(donation_expire), at Stripe and here")
        with self.calls.counting() as made:
            donation_expire(donation_id=donation.pk, untouched_since=timezone.now(),
                            source=DonationEvent.Source.SYSTEM)
        donation = Donation.objects.get(pk=donation.pk)
        case.note(f"canceled: the gift is '{donation.status}'; Stripe calls by our code: "
                  f"{described(made)}")
        case.check(donation.status == "canceled", f"after the cancel the gift is "
                                                  f"'{donation.status}'")
        pi = self.read_back(case, donation)
        case.check(pi.status == "canceled", f"after the cancel Stripe says '{pi.status}'")

    def case_d(self, case: Case) -> None:
        from donations.models import Donation
        from donations.services import refunds
        from gateways import stripe as stripe_gateway

        if self.paid is None:
            case.check(False, "(a) did not succeed: nothing to refund")
            return
        with self.calls.counting() as made:
            row = refunds.donation_refund(
                donation_id=self.paid.pk, amount=REFUND, actor=None,
                reason="make stripe-proof", request_key=f"stripe-proof-{uuid.uuid4()}")
        donation = Donation.objects.get(pk=self.paid.pk)
        case.note(f"refund {row.stripe_id} of {row.amount} '{row.status}': the gift is "
                  f"'{donation.status}', refunded {donation.refunded_amount} of "
                  f"{donation.amount}; Stripe calls by our code: {described(made)}")
        case.check(row.status in ("succeeded", "pending"), f"the refund is '{row.status}'")
        case.check(donation.status == "partially_refunded", f"the gift is '{donation.status}'")
        case.check(donation.refunded_amount == REFUND,
                   f"we hold {donation.refunded_amount} refunded, not {REFUND}")
        charge = stripe_gateway.charge_retrieve(donation.stripe_charge)
        case.note(f"read back from Stripe: charge {charge.id} amount_refunded "
                  f"{charge.amount_refunded} of {charge.amount}")
        case.check(charge.amount_refunded == donation.refunded_amount,
                   f"Stripe's amount_refunded is {charge.amount_refunded}, ours "
                   f"{donation.refunded_amount}")

    def case_e(self, case: Case) -> None:
        from donations.models import DonationEvent, RegularGift
        from donations.services.regular_gifts import regular_gift_cancel, regular_gift_reconcile
        from gateways import stripe as stripe_gateway

        donation = self.give(case, MONTHLY)
        gift = donation.regular_gift
        if not case.check(gift is not None, "no monthly gift was made"):
            return
        case.note(f"monthly gift {gift.pk}: Customer {gift.stripe_customer}, Subscription "
                  f"{gift.stripe_subscription}, first invoice {donation.stripe_invoice}")
        outcome, donation = self.pay(case, donation, CARD_OK)
        case.check(donation.status == "succeeded", f"the first month is '{donation.status}'")
        gift = RegularGift.objects.get(pk=gift.pk)
        case.check(gift.status == "active", f"after the first month the gift is '{gift.status}'")
        status = stripe_gateway.subscription_status(gift.stripe_subscription)
        case.note(f"read back from Stripe: subscription '{status}'")
        case.check(status == "active", f"after the first month Stripe says '{status}'")

        invoice_id = stripe_gateway.subscription_month_for_test(
            customer=gift.stripe_customer, subscription=gift.stripe_subscription,
            amount=gift.amount, currency=gift.currency)
        invoice = stripe_gateway.invoice_state(invoice_id)
        case.note(f"a later month at Stripe: invoice {invoice.id} '{invoice.status}', paid "
                  f"{invoice.amount_paid} {invoice.currency}")
        case.check(invoice.status == "paid", f"the month's invoice is '{invoice.status}'")
        # What the webhook would apply (it cannot reach this script), applied as the
        # reconciliation applies a paid invoice no webhook told of: the same services.
        news = stripe_gateway.MonthlyNews(
            event_id="", type="invoice.payment_succeeded", object_id=invoice_id,
            subscription=gift.stripe_subscription, status=invoice.status, created=None)
        with self.calls.counting() as made:
            regular_gift_reconcile(news=news, source=DonationEvent.Source.SYSTEM)
        months = list(gift.payments.order_by("created_at").select_related("receipt"))
        numbers = [getattr(getattr(m, "receipt", None), "number", None) for m in months]
        case.note(f"months here: {len(months)}, "
                  f"{', '.join(f'{m.status} {m.amount} ({n})' for m, n in zip(months, numbers))}"
                  f"; Stripe calls by our code to record it: {described(made)}")
        if case.check(len(months) == 2, f"{len(months)} month(s) recorded, not 2"):
            later = months[1]
            case.check(later.stripe_invoice == invoice_id and later.status == "succeeded",
                       f"the later month is '{later.status}' on {later.stripe_invoice}")
            case.check(later.amount == invoice.amount_paid,
                       f"the later month is {later.amount}, Stripe took {invoice.amount_paid}")
            case.check(all(numbers) and numbers[0] != numbers[1],
                       f"receipt numbers {numbers}: each month needs its own")

        with self.calls.counting() as made:
            regular_gift_cancel(gift_id=gift.pk, by=RegularGift.By.ADMIN)
        gift = RegularGift.objects.get(pk=gift.pk)
        case.note(f"canceled: the gift is '{gift.status}'; Stripe calls by our code: "
                  f"{described(made)}")
        case.check(gift.status == "canceled", f"after the cancel the gift is '{gift.status}'")
        status = stripe_gateway.subscription_status(gift.stripe_subscription)
        case.note(f"read back from Stripe: subscription '{status}'")
        case.check(status == "canceled", f"after the cancel Stripe says '{status}'")

    # --- the run -----------------------------------------------------------------------------

    def run(self) -> int:
        from gateways import stripe as stripe_gateway

        print(f"Stripe proof: Lifeline's services against {self.settings.STRIPE_API_BASE} "
              f"(key {self.settings.STRIPE_SECRET_KEY[:8]}…, Stripe-Version "
              f"{stripe_gateway.STRIPE_API_VERSION})", flush=True)
        plan = [
            ("(a) 4242", "succeeded; charge, fee, net", self.case_a),
            ("(b) decline, then 4242", "failed, then succeeded on the same PaymentIntent",
             self.case_b),
            ("(c) 3-D Secure", "requires_action once, then canceled", self.case_c),
            ("(d) refund part of (a)", f"partially_refunded, {REFUND} refunded at Stripe",
             self.case_d),
            ("(e) monthly", "first month, a later month by invoice with its own receipt, "
                            "canceled at Stripe", self.case_e),
        ]
        for name, expected, run in plan:
            case = Case(name, expected)
            self.cases.append(case)
            print(f"\n{name}: expected {expected}", flush=True)
            try:
                run(case)
            except Exception as exc:  # noqa: BLE001 - a case that raises has deviated
                traceback.print_exc()
                first_line = (str(exc).strip().splitlines() or [""])[0][:160]
                case.check(False, f"raised {exc.__class__.__name__}: {first_line}")
        print("\nWebhooks: not received here (this script has no address Stripe can call); "
              "each case read the PaymentIntent back from Stripe instead, as the "
              "reconciliation and the thanks page do.")
        return self.report()

    def report(self) -> int:
        width = max(len(c.name) for c in self.cases)
        print(f"\n{'case'.ljust(width)}  {'result':<11}  expected")
        for case in self.cases:
            verdict = "as expected" if not case.deviations else "DEVIATED"
            print(f"{case.name.ljust(width)}  {verdict:<11}  {case.expected}")
            for what in case.deviations:
                print(f"{''.ljust(width)}    - {what}")
        deviated = [c.name for c in self.cases if c.deviations]
        calls = len(self.calls.seen)
        if deviated:
            print(f"\n{len(deviated)} of {len(self.cases)} cases deviated ({', '.join(deviated)}); "
                  f"{calls} requests were sent to Stripe.")
            return 1
        print(f"\nAll {len(self.cases)} cases as expected; {calls} requests were sent to Stripe "
              "(the test helper's and the read-backs included).")
        return 0


def main() -> int:
    refused = refusal(os.environ.get("STRIPE_SECRET_KEY", "").strip())
    if refused is not None:
        code, message = refused
        print(message, file=sys.stderr if code else sys.stdout)
        return code
    with tempfile.TemporaryDirectory(prefix="lifeline-stripe-proof-") as folder:
        setup_django(folder)
        from django.conf import settings

        calls = StripeCalls(settings.STRIPE_API_BASE)
        calls.install()
        return Proof(calls).run()


if __name__ == "__main__":
    sys.exit(main())
