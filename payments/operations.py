"""Money asked of Stripe, in three steps that never hold a database lock while Stripe is called.

1. `operation_create` writes a `PaymentOperation` (kind, amount, idempotency key, what it pays for) in the
   caller's short transaction, under the caller's row lock.
2. `operation_execute` calls Stripe outside any transaction, with the client timeout and retries of
   `stripe_client`, and writes down what Stripe answered: succeeded, failed (refused), or unknown (no answer,
   which raises `PaymentProviderUnavailable`).
3. `operation_book` books what Stripe did in a transaction of its own: the operation row is locked and
   checked, the ledger movement recorded (its unique reference is a second guard), and
   `signals.payment_operation_booked` lets the app that asked move its own records in the same transaction.
   Booking twice books once.

`operation_settle` finishes an operation left pending or unknown (the reconciler's job): within the 24 hours
Stripe keeps an idempotency key by asking again with the same key (Stripe answers with what it did the first
time); after that by looking for the object by its metadata, and if Stripe has none, the operation failed.
"""

import logging
import os
import signal
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User

from . import signals, stripe_client
from .exceptions import PaymentInProgress, PaymentProviderUnavailable
from .ledger import ledger_record
from .models import LedgerAccount, LedgerTransaction, Payment, PaymentOperation

logger = logging.getLogger(__name__)

Status = PaymentOperation.Status
OPEN = (Status.PENDING, Status.SUCCEEDED, Status.UNKNOWN)
# Stripe keeps an idempotency key for 24 hours; past this age an operation is looked for instead of repeated.
KEY_LIFETIME = timedelta(hours=23)


@dataclass(frozen=True)
class Outcome:
    """What became of an operation: `status` is the operation's, `stripe_object` what Stripe returned."""

    operation: PaymentOperation
    status: str
    stripe_object: Any = None
    error: str = ""
    declined: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status in (Status.SUCCEEDED, Status.BOOKED)


# --- 1. written down first ----------------------------------------------------------------------


def in_flight_after() -> timedelta:
    """How long an operation may still be on its way to Stripe in a live request before it counts as left."""
    return timedelta(seconds=stripe_client.longest_wait() + 15)


def operation_open(*, subject_type: str, subject_id: Any, purposes: tuple[str, ...] | None = None
                   ) -> PaymentOperation | None:
    """The operation for this subject that is not finished yet (not booked, not failed), if any."""
    operations = PaymentOperation.objects.filter(subject_type=subject_type, subject_id=str(subject_id),
                                                 status__in=OPEN)
    if purposes is not None:
        operations = operations.filter(purpose__in=purposes)
    return operations.order_by("-id").first()


def operation_guard(*, subject_type: str, subject_id: Any, purposes: tuple[str, ...] | None = None) -> None:
    """Refuses (409) while money for the subject is on its way: call it under the subject's row lock."""
    if operation_open(subject_type=subject_type, subject_id=subject_id, purposes=purposes) is not None:
        raise PaymentInProgress()


def operation_take_over(operation: PaymentOperation) -> PaymentOperation:
    """An operation left unknown (or pending too long) is to be asked again, with the same key, by the
    caller now. Marked pending afresh so that a simultaneous request sees it in flight. Call it under the
    subject's row lock; refuses (409) if the operation is still in flight elsewhere."""
    if operation.status == Status.PENDING and operation.updated_at > timezone.now() - in_flight_after():
        raise PaymentInProgress()
    if operation.status == Status.SUCCEEDED and operation.updated_at > timezone.now() - in_flight_after():
        raise PaymentInProgress()
    if operation.status != Status.SUCCEEDED:
        PaymentOperation.objects.filter(pk=operation.pk).update(status=Status.PENDING, updated_at=timezone.now())
        operation.refresh_from_db()
    return operation


def operation_create(*, kind: str, purpose: str, subject_type: str, subject_id: Any, amount_minor: int,
                     currency: str, idempotency_key: str, params: dict[str, Any],
                     context: dict[str, Any] | None = None) -> PaymentOperation:
    """Writes down a movement to ask of Stripe. Runs in the caller's transaction, under its row lock; the
    operation's key goes into the Stripe object's metadata, where reconciliation finds it."""
    metadata = {**(params.get("metadata") or {}), "operation": idempotency_key,
                "subject": f"{subject_type}:{subject_id}"}
    return PaymentOperation.objects.create(
        kind=kind, purpose=purpose, subject_type=subject_type, subject_id=str(subject_id), amount=amount_minor,
        currency=currency, idempotency_key=idempotency_key, params={**params, "metadata": metadata},
        context=context or {},
    )


# --- 2. Stripe, outside any transaction ---------------------------------------------------------


def _crash_point(name: str) -> None:
    """Test settings only: the process dies here, as a worker killed at that moment would."""
    if getattr(settings, "PAYMENT_CRASH_POINT", "") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _call(operation: PaymentOperation) -> Any:
    sdk = stripe_client.sdk()
    resources: dict[str, Any] = {PaymentOperation.Kind.CHARGE: sdk.PaymentIntent,
                                 PaymentOperation.Kind.REFUND: sdk.Refund, PaymentOperation.Kind.TRANSFER: sdk.Transfer}
    return resources[operation.kind].create(**operation.params, idempotency_key=operation.idempotency_key)


def _write(operation: PaymentOperation, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    if fields.get("status") in (Status.SUCCEEDED, Status.FAILED):
        fields["settled_at"] = fields["updated_at"]
    # Never overwrite what a booking (by another process) already finished, nor undo what Stripe was seen to
    # have done with a later "failed" or "unknown" from a simultaneous ask with the same key.
    rows = PaymentOperation.objects.filter(pk=operation.pk).exclude(status=Status.BOOKED)
    if fields.get("status") in (Status.FAILED, Status.UNKNOWN):
        rows = rows.exclude(status=Status.SUCCEEDED)
    rows.update(**fields)
    for name, value in fields.items():
        setattr(operation, name, value)


def operation_execute(operation: PaymentOperation) -> Outcome:
    """Asks Stripe for the operation, with its idempotency key, and writes down the answer.

    Must run outside any database transaction: no lock is held while Stripe is waited for. Raises
    PaymentProviderUnavailable when Stripe cannot be reached (the operation is left unknown).
    """
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("Stripe is called outside database transactions")
    PaymentOperation.objects.filter(pk=operation.pk).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    try:
        remote = _call(operation)
    except stripe.CardError as exc:
        intent = getattr(exc.error, "payment_intent", None) or {}
        message = exc.user_message or "Your card was declined."
        _write(operation, status=Status.FAILED, stripe_id=intent.get("id", ""), last_error=message[:2000],
               result={"status": "declined", "code": exc.code or ""})
        if operation.kind == PaymentOperation.Kind.CHARGE:
            signals.charge_declined.send(sender=PaymentOperation, operation=operation,
                                         payment_method=str(operation.params.get("payment_method") or ""))
        return Outcome(operation=operation, status=Status.FAILED, error=message, declined=True)
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError, stripe.IdempotencyError) as exc:
        # No answer, Stripe's own failure, or the same key in use by another request at this moment (a
        # reconciliation and a retry asking together): it may or may not have done it. Written down as failed,
        # the next try would use a new key and could move the money twice; reconciliation finds out instead.
        _write(operation, status=Status.UNKNOWN, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.warning("Stripe did not answer operation %s", operation.idempotency_key, exc_info=True)
        raise PaymentProviderUnavailable() from exc
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc)
        _write(operation, status=Status.FAILED, last_error=f"{type(exc).__name__}: {message}"[:2000],
               result={"status": "refused", "code": exc.code or ""})
        logger.warning("Stripe refused operation %s", operation.idempotency_key, exc_info=True)
        return Outcome(operation=operation, status=Status.FAILED, error=message)
    _crash_point("after_stripe")
    _write(operation, status=Status.SUCCEEDED, stripe_id=remote.id, result={"status": remote.get("status", "")})
    _crash_point("before_booking")
    return Outcome(operation=operation, status=Status.SUCCEEDED, stripe_object=remote)


# --- 3. booked in a transaction of its own ------------------------------------------------------


def _retrieve(operation: PaymentOperation) -> Any:
    sdk = stripe_client.sdk()
    resources: dict[str, Any] = {PaymentOperation.Kind.CHARGE: sdk.PaymentIntent,
                                 PaymentOperation.Kind.REFUND: sdk.Refund, PaymentOperation.Kind.TRANSFER: sdk.Transfer}
    return resources[operation.kind].retrieve(operation.stripe_id)


def operation_book(operation: PaymentOperation, stripe_object: Any = None) -> PaymentOperation:
    """Books what Stripe did for a succeeded operation, once: the operation row is locked and re-checked."""
    if stripe_object is None and operation.status == Status.SUCCEEDED:
        try:
            stripe_object = _retrieve(operation)  # before the lock: no network call inside the transaction
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            raise PaymentProviderUnavailable() from exc
    with transaction.atomic():
        locked = PaymentOperation.objects.select_for_update().get(pk=operation.pk)
        if locked.status != Status.SUCCEEDED:
            return locked
        if locked.kind == PaymentOperation.Kind.REFUND:
            _refund_record(locked, stripe_object)
        signals.payment_operation_booked.send(sender=PaymentOperation, operation=locked,
                                              stripe_object=stripe_object)
        locked.status = Status.BOOKED
        locked.booked_at = timezone.now()
        locked.save(update_fields=["status", "booked_at", "updated_at"])
    operation.refresh_from_db()
    return locked


def operation_run(operation: PaymentOperation) -> Outcome:
    """Asks Stripe and books the answer: what a request does after committing the operation."""
    outcome = operation_execute(operation)
    if outcome.succeeded:
        operation = operation_book(operation, outcome.stripe_object)
        return Outcome(operation=operation, status=operation.status, stripe_object=outcome.stripe_object)
    return outcome


def refund_reference(operation: PaymentOperation) -> str:
    return operation.context.get("reference") or f"refund:{operation.idempotency_key}"


def _refund_record(operation: PaymentOperation, refund: Any) -> Payment:
    """Escrow back to the client's card: the ledger movement and the payer's payments row, once."""
    context = operation.context
    reference = refund_reference(operation)
    ledger_tx, created = ledger_record(
        kind=LedgerTransaction.Kind.REFUND, reference=reference, currency=operation.currency,
        entries=[(LedgerAccount.ESCROW, operation.amount, None),
                 (LedgerAccount.PLATFORM_CASH, -operation.amount, None)],
        contract_id=context.get("contract_id"), milestone_id=context.get("milestone_id"),
        order_id=context.get("order_id"), description=context.get("description", ""),
    )
    if not created:
        return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.REFUND)
    return Payment.objects.create(
        user=User.objects.get(pk=context["payer_id"]), kind=Payment.Kind.REFUND, amount=operation.amount,
        currency=operation.currency, description=context.get("description", "")[:255],
        contract_id=context.get("contract_id"), milestone_id=context.get("milestone_id"),
        contract_title=context.get("contract_title", "")[:255],
        milestone_title=context.get("milestone_title", "")[:255],
        order_id=context.get("order_id"), order_title=context.get("order_title", "")[:255],
        ledger_transaction=ledger_tx, stripe_payment_intent=operation.params.get("payment_intent", ""),
        stripe_refund=refund.id,
    )


# --- finishing what was left --------------------------------------------------------------------


def _find(operation: PaymentOperation) -> Any:
    """The Stripe object an operation made, found by the operation's key in its metadata (None if none)."""
    sdk = stripe_client.sdk()
    key = operation.idempotency_key
    if operation.kind == PaymentOperation.Kind.CHARGE:
        found = sdk.PaymentIntent.search(query=f"metadata['operation']:'{key}'", limit=10)
        return next(iter(found["data"]), None)
    if operation.kind == PaymentOperation.Kind.REFUND:
        candidates = sdk.Refund.list(payment_intent=operation.params["payment_intent"], limit=100)
    else:
        candidates = sdk.Transfer.list(destination=operation.params.get("destination"), limit=100)
    items = list(candidates.auto_paging_iter())
    found = next((item for item in items if (item.get("metadata") or {}).get("operation") == key), None)
    if found is None and operation.kind == PaymentOperation.Kind.TRANSFER:
        # A transfer for the same payout made under another key (an earlier try, or before operations were
        # written down) paid it already: finding it is what keeps the payout from being sent twice.
        payout_id = (operation.params.get("metadata") or {}).get("payout_id")
        found = next((item for item in items if payout_id
                      and (item.get("metadata") or {}).get("payout_id") == payout_id), None)
    return found


def operation_settle(operation: PaymentOperation) -> Outcome:
    """Finishes an operation left pending, unknown, or done but not booked. Raises PaymentProviderUnavailable
    while Stripe still does not answer."""
    if operation.status == Status.SUCCEEDED:
        operation = operation_book(operation)
        return Outcome(operation=operation, status=operation.status)
    if operation.status not in (Status.PENDING, Status.UNKNOWN):
        return Outcome(operation=operation, status=operation.status)
    if operation.created_at > timezone.now() - KEY_LIFETIME:
        return operation_run(operation)
    # Stripe has forgotten the key: asking again could do it a second time. Look for what it did.
    try:
        remote = _find(operation)
    except (stripe.APIConnectionError, stripe.APIError) as exc:
        raise PaymentProviderUnavailable() from exc
    if remote is None:
        _write(operation, status=Status.FAILED, last_error="Stripe has no record of it")
        return Outcome(operation=operation, status=Status.FAILED, error="Stripe has no record of it")
    _write(operation, status=Status.SUCCEEDED, stripe_id=remote.id, result={"status": remote.get("status", "")})
    operation = operation_book(operation, remote)
    return Outcome(operation=operation, status=operation.status, stripe_object=remote)


def operations_reconcile(*, left_for: timedelta | None = None) -> dict[str, int]:
    """Settles every operation left unfinished for longer than a live request could still be waiting on it.
    Each is settled on its own: one Stripe does not answer for must not stop the others."""
    cutoff = timezone.now() - (in_flight_after() if left_for is None else left_for)
    counts = {"booked": 0, "failed": 0, "still_unknown": 0}
    for operation in PaymentOperation.objects.filter(status__in=OPEN, updated_at__lte=cutoff).order_by("id"):
        try:
            outcome = operation_settle(operation)
        except PaymentProviderUnavailable:
            counts["still_unknown"] += 1
            continue
        except Exception:
            logger.exception("Could not settle payment operation %s", operation.idempotency_key)
            counts["still_unknown"] += 1
            continue
        counts["booked" if outcome.operation.status == Status.BOOKED else "failed"] += 1
    return counts
