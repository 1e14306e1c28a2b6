"""Stripe (the stand-in, tests/faults/standin.py) crashing mid-payment and coming back with
its state, as real Stripe would, through the real parts (tests/faults/conftest.py)."""

import pytest

from tests.faults.conftest import Donors, assert_books_agree, eventually
from tests.faults.test_outages import donors_were_only_told_to_retry, more_gifts

pytestmark = pytest.mark.faults


def test_stand_in_crashes_after_charging_before_answering_no_gift_is_charged_twice(
    make_lifeline,
):
    """Donors' cards are charged at Stripe and the crash takes the answers and the
    payment_intent.succeeded events with it. Our server's confirm is retried (the SDK's
    network retry, or the donor's after a 503) and finds the token spent and the charge made
    (no second charge): the donor is told it worked, and the books agree with no webhook and
    no manual reconcile. Gifts created before the crash are paid after it."""
    lifeline = make_lifeline(durable_stripe=True)
    standin = lifeline.standin
    with Donors(lifeline) as donors:
        more_gifts(donors, 6, "gifts before the crash")
        standin.hold()
        eventually(lambda: len(standin.held()) >= 2, timeout=60,
                   what="two payments carried out at Stripe, their answers held")
        standin.crash()
        held = standin.held()
        standin.start()
        more_gifts(donors, 6, "gifts after the stand-in came back")

    stripe = standin.client().v1.payment_intents
    charged_unanswered = {pi: stripe.retrieve(pi) for pi in held}
    assert {p.status for p in charged_unanswered.values()} == {"succeeded"}
    gifts = {p.metadata["donation_id"] for p in charged_unanswered.values()}
    counts = assert_books_agree(lifeline)
    print(f"{len(held)} charged, unanswered; donors' pay answers: "
          f"{ {c: n for (step, c), n in donors.statuses.items() if step == 'pay'} }")
    assert gifts <= set(donors.paid), "a donor charged at the crash was never told it worked"
    assert counts["charged"] >= 12
    donors_were_only_told_to_retry(donors, "Stripe's crash is a 503 to the donor")
