"""The donation's state machine: which moves are legal (donations.states.ALLOWED_TRANSITIONS,
SPEC/STYLE §4), and that an illegal one is refused by the service that writes statuses."""

import pytest
from django.conf import settings

from donations.models import Donation
from donations.receipts import sending, tasks
from donations.services.transitions import IllegalTransition
from donations.services.transitions import transition as _set_status
from donations.states import ALLOWED_TRANSITIONS, PAID
from tests.factories import DonationFactory

S = Donation.Status
ALL = set(S)


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == ALL


@pytest.mark.parametrize("target", [S.SUCCEEDED, S.FAILED, S.CANCELED])
def test_a_pending_gift_may_succeed_fail_or_be_canceled(target):
    assert target in ALLOWED_TRANSITIONS[S.PENDING]


def test_a_declined_gift_may_be_tried_again_with_another_card():
    assert S.PENDING in ALLOWED_TRANSITIONS[S.FAILED]


@pytest.mark.parametrize("paid", sorted(PAID))
def test_a_paid_gift_never_goes_back_to_unpaid(paid):
    assert ALLOWED_TRANSITIONS[paid] & {S.PENDING, S.FAILED, S.CANCELED} == set()


@pytest.mark.parametrize("target", [S.REFUNDED, S.PARTIALLY_REFUNDED, S.DISPUTED])
def test_a_succeeded_gift_may_be_refunded_or_disputed(target):
    assert target in ALLOWED_TRANSITIONS[S.SUCCEEDED]


def test_money_taken_on_a_canceled_gift_is_still_recorded():
    """Stripe's word wins: a PaymentIntent we thought canceled that charged the card."""
    assert S.SUCCEEDED in ALLOWED_TRANSITIONS[S.CANCELED]


def test_a_canceled_gift_is_never_reopened():
    assert ALLOWED_TRANSITIONS[S.CANCELED] == PAID


@pytest.mark.django_db
def test_a_late_failure_after_success_is_ignored_and_leaves_no_event():
    donation = DonationFactory(status=S.SUCCEEDED)

    assert _set_status(donation, S.FAILED, source="webhook") is False

    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    assert not donation.events.filter(kind="status").exists()


@pytest.mark.django_db
def test_a_legal_move_is_written_with_its_audit_row():
    donation = DonationFactory(status=S.PENDING)

    assert _set_status(donation, S.SUCCEEDED, source="webhook", stripe_event="evt_1") is True
    assert _set_status(donation, S.SUCCEEDED, source="webhook") is False  # already there

    donation.refresh_from_db()
    event = donation.events.get(kind="status")
    assert (donation.status, event.from_status, event.to_status, event.stripe_event) == (
        S.SUCCEEDED, S.PENDING, S.SUCCEEDED, "evt_1")


@pytest.mark.django_db
def test_an_illegal_move_asked_for_deliberately_raises_and_writes_nothing():
    """Our own code's moves (another card, a decline, an expiry) pass strict=True: they check
    the state under the lock first, so an illegal one is a bug, not Stripe's late word."""
    donation = DonationFactory(status=S.SUCCEEDED)

    with pytest.raises(IllegalTransition):
        _set_status(donation, S.PENDING, source="browser", strict=True)

    donation.refresh_from_db()
    assert donation.status == S.SUCCEEDED
    assert not donation.events.exists()


def test_the_receipt_tasks_keep_the_names_services_queue_them_by():
    """Services queue tasks by name (core.tasks.enqueue); the beat schedule and messages
    already in the broker use the same names."""
    assert tasks.send_receipt_email.name == sending.SEND_RECEIPT_EMAIL
    assert tasks.resend_receipt_email.name == sending.RESEND_RECEIPT_EMAIL
    assert (settings.CELERY_BEAT_SCHEDULE["sweep-unsent-receipts"]["task"]
            == tasks.sweep_unsent_receipts.name)
