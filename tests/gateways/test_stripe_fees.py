"""Fee and net come from Stripe's balance transaction, whichever shape Stripe sends."""

import stripe

from gateways.stripe import payment_intents as stripe_gateway


def _paid_charge(standin):
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin})
    pi = client.v1.payment_intents.create(params={"amount": 2500, "currency": "gbp",
                                                  "payment_method_types": ["card"]})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.update(pi.id, params={"payment_method": pm.id})
    client.v1.payment_intents.confirm(pi.id)
    return client.v1.payment_intents.retrieve(pi.id).to_dict()


def test_fee_is_read_from_an_expanded_balance_transaction(standin):
    pi = _paid_charge(standin)
    state = stripe_gateway.payment_intent_retrieve(pi["id"])
    assert state.status == "succeeded"
    assert (state.fee, state.net) == (0, 2500)  # the stand-in's balance transactions: fee 0
    assert state.charge_id.startswith("ch_")


def test_fee_is_read_when_charge_and_balance_transaction_are_ids(standin):
    pi = _paid_charge(standin)
    charge = pi["latest_charge"]
    txn_id = charge["balance_transaction"]
    txn_id = txn_id if isinstance(txn_id, str) else txn_id["id"]
    as_ids = dict(pi, latest_charge=dict(charge, balance_transaction=txn_id))
    state = stripe_gateway._state(as_ids)
    assert (state.fee, state.net) == (0, 2500)
    only_charge_id = dict(pi, latest_charge=charge["id"])
    state = stripe_gateway._state(only_charge_id)
    assert (state.fee, state.net, state.charge_id) == (0, 2500, charge["id"])
