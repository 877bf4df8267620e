"""What payments tells the apps above it. Payments knows nothing of milestones; receivers decide."""

from django.dispatch import Signal

# A PaymentIntent succeeded at Stripe (confirmed now, by webhook, or found by reconciliation).
# kwargs: payment_intent (a stripe.PaymentIntent, freshly retrieved)
payment_intent_succeeded = Signal()

# A PaymentIntent failed. kwargs: payment_intent, error_message
payment_intent_failed = Signal()

# A payment operation (asked for by an app above payments, or a payout's transfer) is done at Stripe and
# being booked, inside the booking's transaction (the operation row locked): the receiver moves its own
# records, or raises to roll the booking back for reconciliation to try again. kwargs: operation (a
# PaymentOperation), stripe_object
payment_operation_booked = Signal()

# A card holder disputed a payment with their bank (a chargeback), or the bank decided it.
# kwargs: payment_intent_id, dispute_id, status ("open", "won" or "lost"), amount (minor units), currency,
# metadata (the PaymentIntent's metadata: what the payment was for)
chargeback_changed = Signal()

# The card of a charge was declined when Stripe was asked to confirm it (outside any transaction).
# kwargs: operation (the failed PaymentOperation; `context["payer_id"]` is who paid), payment_method (its id)
charge_declined = Signal()

# A user saved a card (sent outside any transaction): charges that were waiting for one may be tried again.
# kwargs: user_id
payment_method_saved = Signal()
