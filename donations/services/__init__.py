"""Every write to a donation goes through here: one module per capability.

- transitions: the locked, table-checked status change and its audit row
- create: a gift and its PaymentIntent, and the API's idempotency protocol
- pay: setting up the card and charging it
- stripe_events: PaymentIntents and disputes as Stripe reports them
- refunds: an admin's refund, and Stripe's refunds applied
- regular_gifts: monthly gifts as Stripe reports them (each month a donation; the status)
- reconciliation: the books brought in line with Stripe, for the webhooks that never came
- defence: the card-testing defence and its attack-mode switch
- personal_data: a donor's data exported or erased, the retention purge
- admin_edits: the changes staff make in the admin

Receipts (issue, documents, sending, the sweeper, their tasks) are donations/receipts/; the
vocabulary (statuses, transitions, event kinds) is donations/states.py. Callers import the
module they need; this package re-exports nothing.
"""
