"""A payment operation is written down as failed only when Stripe refused it: anything that leaves open
whether Stripe did it keeps it unknown, so the next try repeats the same key instead of moving money twice."""

import pytest

from payments.exceptions import PaymentProviderUnavailable
from payments.models import PaymentOperation
from payments.operations import operation_create, operation_execute, operation_settle
from payments.stripe_client import sdk as stripe_sdk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def charge(key: str, amount: int = 1200) -> PaymentOperation:
    return operation_create(kind=PaymentOperation.Kind.CHARGE, purpose="test", subject_type="test", subject_id=1,
                            amount_minor=amount, currency="usd", idempotency_key=key,
                            params={"amount": amount, "currency": "usd", "payment_method_types": ["card"]})


def intents_for(key: str) -> list:
    return [pi for pi in stripe_sdk().PaymentIntent.list(limit=100)["data"]
            if (pi.get("metadata") or {}).get("operation") == key]


def test_stripe_answering_that_the_key_is_taken_leaves_the_operation_unknown_not_failed():
    operation = charge("op-key-taken")
    # Another request holds the key at Stripe (the same key, asked differently).
    stripe_sdk().PaymentIntent.create(amount=999, currency="usd", idempotency_key=operation.idempotency_key)
    with pytest.raises(PaymentProviderUnavailable):
        operation_execute(operation)
    operation.refresh_from_db()
    assert operation.status == "unknown" and "IdempotencyError" in operation.last_error
    assert operation.stripe_id == "" and intents_for("op-key-taken") == []


def test_a_late_failure_never_undoes_what_stripe_was_seen_to_do():
    operation = charge("op-seen-done")
    done = operation_execute(operation)
    assert done.status == "succeeded"
    stale = PaymentOperation.objects.get(pk=operation.pk)
    stale.status = "pending"  # what a simultaneous ask with the same key had read before
    # That ask is refused the key by Stripe (asked differently here, as a key in use is answered) and would
    # write the operation down unknown.
    stale.params = {**stale.params, "amount": 1201}
    with pytest.raises(PaymentProviderUnavailable):
        operation_execute(stale)
    operation.refresh_from_db()
    assert (operation.status, operation.stripe_id) == ("succeeded", done.stripe_object.id)
    booked = operation_settle(operation)
    assert booked.operation.status == "booked"
    assert [pi.id for pi in intents_for("op-seen-done")] == [done.stripe_object.id]
