"""Payments' Celery tasks: thin wrappers over `payouts` and `billing`, which queue nothing themselves.

The services queue `send_payouts` (after a release, or once an account can receive); nothing here imports
the services, so the tasks sit below them.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import billing, operations, payouts, signals, stripe_client
from .exceptions import PaymentProviderUnavailable
from .models import ConnectedAccount, PaymentOperation, Payout

logger = logging.getLogger(__name__)


@shared_task(name="payments.send_payouts", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payouts(user_id: int) -> dict[str, int]:
    """Sends a freelancer's held payouts. A Stripe that does not answer is an outcome, not an error: those
    payouts stay held and reconciliation finishes their transfers once Stripe answers."""
    result = payouts.payouts_send(user_id=user_id)
    if result.unavailable:
        logger.warning("Stripe did not answer for %s payout(s) of user %s", result.unavailable, user_id)
    return result.as_dict()


@shared_task(name="payments.settle_operation", autoretry_for=(PaymentProviderUnavailable,), retry_backoff=True,
             max_retries=5)
def settle_operation(operation_id: int) -> str:
    """Asks Stripe for a written-down operation and books it (reconciliation does it if this never runs)."""
    operation = PaymentOperation.objects.filter(pk=operation_id).first()
    if operation is None:
        return "missing"
    return operations.operation_settle(operation).operation.status


@shared_task(name="payments.reconcile")
def reconcile(days: int = 3) -> dict[str, int]:
    """Repairs what lost webhooks and lost answers left behind: payment operations Stripe did not answer or
    that were never booked (finished or found failed, booked once), succeeded PaymentIntents not yet recorded,
    onboarding that finished unseen, and held payouts whose account can now receive them."""
    settled = operations.operations_reconcile()
    stripe = stripe_client.sdk()
    since = int((timezone.now() - timedelta(days=days)).timestamp())
    seen = 0
    for intent in stripe.PaymentIntent.list(limit=100).auto_paging_iter():  # newest first
        if intent.created < since:
            break
        if intent.status == "succeeded" and (intent.get("metadata") or {}).get("purpose"):
            signals.payment_intent_succeeded.send(sender=reconcile, payment_intent=intent)
            seen += 1
    refreshed = 0
    for account in ConnectedAccount.objects.filter(transfers_active=False):
        try:
            payouts.connected_account_fetch(account=account)
            refreshed += 1
        except Exception:  # one account failing must not stop the rest
            logger.warning("Could not refresh %s", account.stripe_account_id, exc_info=True)
    paid = 0
    for user_id in set(Payout.objects.filter(status=Payout.Status.HELD).values_list("user_id", flat=True)):
        try:
            paid += payouts.payouts_send(user_id=user_id).sent
        except Exception:  # one freelancer's payouts failing must not stop the others'
            logger.exception("Could not send the held payouts of user %s", user_id)
    # Client Pro subscriptions whose webhooks may have been lost.
    try:
        subscriptions = billing.reconcile_subscriptions()
    except Exception:  # Stripe not answering: the next run tries again
        logger.warning("Could not reconcile subscriptions", exc_info=True)
        subscriptions = 0
    return {"operations_booked": settled["booked"], "operations_failed": settled["failed"],
            "operations_unknown": settled["still_unknown"], "payment_intents": seen,
            "accounts_refreshed": refreshed, "payouts_sent": paid,
            "subscriptions_synced": subscriptions}


@shared_task(name="payments.reconcile_daily")
def reconcile_daily() -> dict[str, int]:
    """The daily comparison of the ledger with Stripe's balance and balance transactions: each difference
    is a `ReconciliationMismatch` staff see in the admin and on the dashboard."""
    from .reconciliation import reconcile_daily as compare_and_record

    return compare_and_record()
