"""The invoice of a monthly gift in each shape Stripe has sent it: its PaymentIntent and its
subscription are found the same (gateways/stripe/subscriptions.py). Stripe's own example
invoice (tests/fixtures/stripe_examples.json), with the fields of each API version."""

import copy
import json
from pathlib import Path

import pytest

from gateways.stripe.subscriptions import invoice_payment, invoice_subscription

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "stripe_examples.json")
                     .read_text())["resources"]["invoice"]
PI, SECRET, SUB = "pi_3Mt1", "pi_3Mt1_secret_abc", "sub_1Pgc"


def invoice(**fields) -> dict:
    obj = copy.deepcopy(EXAMPLE)
    obj.update(fields)
    return obj


SHAPES = {
    # Before 2025-03-31.basil: the PaymentIntent on the invoice, an id or expanded.
    "payment_intent id": invoice(payment_intent=PI, subscription=SUB,
                                 confirmation_secret={"type": "payment_intent",
                                                      "client_secret": SECRET}),
    "payment_intent expanded": invoice(payment_intent={"id": PI, "client_secret": SECRET},
                                       subscription=SUB),
    # Since basil: the payments list, the parent, the confirmation secret.
    "payments list": invoice(
        payments={"object": "list", "data": [{"object": "invoice_payment", "payment": {
            "type": "payment_intent", "payment_intent": PI}}]},
        confirmation_secret={"type": "payment_intent", "client_secret": SECRET},
        parent={"type": "subscription_details",
                "subscription_details": {"subscription": SUB, "metadata": None}}),
    "confirmation secret only": invoice(
        confirmation_secret={"type": "payment_intent", "client_secret": SECRET},
        parent={"type": "subscription_details",
                "subscription_details": {"subscription": {"id": SUB}, "metadata": None}}),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES)
def test_every_shape_names_the_same_payment_intent_and_subscription(shape):
    assert invoice_payment(shape) == (PI, SECRET)
    assert invoice_subscription(shape) == SUB


def test_an_invoice_of_no_subscription_and_no_payment_names_neither():
    bare = invoice(parent=None, subscription=None)
    assert invoice_payment(bare) == ("", "")
    assert invoice_subscription(bare) == ""
