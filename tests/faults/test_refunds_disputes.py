"""Refunds and disputes under faults, through the real parts (tests/faults/conftest.py).

Refunds are made at Stripe (the stand-in, through the SDK, as in Stripe's dashboard) and in
our admin (the refund form on the web processes); Stripe's webhooks for them, and for
disputes (which the stand-in cannot make), are built from Stripe's example objects on the
real charges of the donors' gifts and signed with the endpoint's secret, as Stripe sends
them: some twice, some out of order, some lost, some while PostgreSQL restarts (answered
503, then delivered again, as Stripe retries). Meanwhile donors keep giving, Redis stops, a
worker is killed. After recovery, with no manual reconcile, the books agree with Stripe.
"""

import time
import uuid

import pytest

from tests.faults.conftest import (
    Donors,
    assert_books_agree,
    assert_refunds_agree,
    charge_dispute,
    charge_refunded,
)
from tests.faults.test_outages import donors_were_only_told_to_retry, more_gifts

pytestmark = pytest.mark.faults


def test_refunds_and_disputes_under_faults_books_agree_with_stripe(lifeline):
    admin = lifeline.admin()
    disputes = {}  # gift -> the last status Stripe gave its dispute
    answers = {}  # what our webhook answered, per delivery, for the report

    def deliver(name: str, event: dict) -> int | str:
        answers[name] = answer = lifeline.deliver(event)
        return answer

    def dispute(gift: str, status: str, event_type: str, dispute_id: str) -> dict:
        return charge_dispute(event_type, lifeline.charge(gift), dispute_id, status)

    with Donors(lifeline) as donors:
        more_gifts(donors, 12, "gifts to refund and dispute")
        g = list(donors.paid[:12])
        amounts = dict(lifeline.sql(
            "SELECT id::text, amount FROM donations_donation WHERE id::text IN ('"
            + "','".join(g) + "')"))

        # Redis (broker and cache) down: refunds in Stripe's dashboard, one webhook
        # delivered twice, one lost; the admin refunds on top of the lost one, and is held
        # to what Stripe's figure leaves on another.
        lifeline.redis.stop()
        try:
            refunded = charge_refunded(lifeline.refund_at_stripe(g[0], 500))
            assert deliver("g0 refunded", refunded) == 200
            assert deliver("g0 refunded again", refunded) == 200
            assert deliver("g1 refunded in full", charge_refunded(
                lifeline.refund_at_stripe(g[1], amounts[g[1]]))) == 200
            lifeline.refund_at_stripe(g[2], 300)  # its webhook is lost
            made = admin.refund(g[2], "5.00", reason="asked by the donor")
            assert made.url.endswith("/change/"), made.text[-2000:]
            # Stripe's event for the admin's refund (both refunds on the charge by now)
            assert deliver("g2 refunded", charge_refunded(lifeline.charge(g[2]))) == 200
            refused = admin.refund(g[0], f"{amounts[g[0]] / 100:.2f}")
            assert "is left to refund" in refused.text  # £5 of it went at Stripe
        finally:
            lifeline.redis.start()

        # A worker killed (the other keeps the queue) while a refund is made at Stripe,
        # an admin refunds a whole gift, and a dispute opens.
        lifeline.workers[0].kill()
        first = charge_refunded(lifeline.refund_at_stripe(g[3], 250))
        second = charge_refunded(lifeline.refund_at_stripe(g[3], 100))
        assert [deliver("g3 second refund", second),
                deliver("g3 first refund, late", first)] == [200, 200]
        made = admin.refund(g[4], f"{amounts[g[4]] / 100:.2f}")
        assert made.url.endswith("/change/"), made.text[-2000:]
        assert deliver("g4 refunded", charge_refunded(lifeline.charge(g[4]))) == 200
        disputes[g[5]] = "needs_response"
        assert deliver("g5 dispute opened", dispute(
            g[5], "needs_response", "charge.dispute.created", "dp_g5")) == 200
        lifeline.start_worker()

        # Disputes out of order and twice. g6: won, its `created` arrives after (twice).
        # g7: partly refunded at Stripe, then disputed and won (back to partly refunded).
        # g8: lost; the admin may not refund it meanwhile.
        disputes[g[6]] = "won"
        won = dispute(g[6], "won", "charge.dispute.closed", "dp_g6")
        opened = dispute(g[6], "needs_response", "charge.dispute.created", "dp_g6")
        assert [deliver("g6 won", won), deliver("g6 opened", opened),
                deliver("g6 opened again", opened)] == [200, 200, 200]
        assert deliver("g7 refunded", charge_refunded(
            lifeline.refund_at_stripe(g[7], 400))) == 200
        disputes[g[7]] = "won"
        assert deliver("g7 opened", dispute(
            g[7], "needs_response", "charge.dispute.created", "dp_g7")) == 200
        assert deliver("g7 won", dispute(g[7], "won", "charge.dispute.closed", "dp_g7")) == 200
        disputes[g[8]] = "lost"
        assert deliver("g8 opened", dispute(
            g[8], "needs_response", "charge.dispute.created", "dp_g8")) == 200
        refused = admin.refund(g[8], "1.00")
        assert "At most £0.00 is left to refund" in refused.text
        assert lifeline.charge(g[8])["amount_refunded"] == 0
        assert deliver("g8 lost", dispute(g[8], "lost", "charge.dispute.closed", "dp_g8")) == 200

        # PostgreSQL restarts while Stripe delivers: a dispute opened and lost (g9), a
        # refund made at Stripe (g10), another dispute opened (g11). Answered 503 (or not
        # at all); Stripe delivers each again once we answer, and the lost dispute's
        # `created` comes last.
        charge10 = lifeline.refund_at_stripe(g[10], 600)
        during = {
            "g9 opened": dispute(g[9], "needs_response", "charge.dispute.created", "dp_g9"),
            "g9 lost": dispute(g[9], "lost", "charge.dispute.closed", "dp_g9"),
            "g10 refunded": charge_refunded(charge10),
            "g11 opened": dispute(g[11], "warning_needs_response", "charge.dispute.created",
                                  f"dp_{uuid.uuid4().hex[:16]}"),
        }
        disputes[g[9]], disputes[g[11]] = "lost", "warning_needs_response"
        lifeline.pg.stop("fast")
        try:
            refused_while_down = {name: deliver(f"{name} (database down)", event)
                                  for name, event in during.items()}
        finally:
            lifeline.pg.start()
        pending = {n for n, answer in refused_while_down.items() if answer != 200}
        for attempt in range(60):  # Stripe's retries, compressed
            for name in ("g9 lost", "g10 refunded", "g11 opened", "g9 opened"):
                if name in pending and deliver(f"{name} (again {attempt})", during[name]) == 200:
                    pending.discard(name)
            if not pending:
                break
            time.sleep(0.5)
        assert not pending, answers
        more_gifts(donors, 4, "gifts after the database came back")

    print({name: answer for name, answer in answers.items()})
    counts = assert_books_agree(lifeline)
    refunds = assert_refunds_agree(lifeline, disputes)
    print(f"books: {counts}; refunds and disputes: {refunds}; "
          f"answered while PostgreSQL was down: {refused_while_down}")
    assert set(refused_while_down.values()) & {503}, refused_while_down
    assert refunds["statuses"]["disputed"] == 4  # g5 open, g8 and g9 lost, g11 open
    donors_were_only_told_to_retry(donors, "refunds and disputes are not the donors' business")
