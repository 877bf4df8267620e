"""Payments' Celery tasks: thin wrappers over `payouts` and `billing`, which queue nothing themselves.

The services queue `send_payouts` (after a release, or once an account can receive); nothing here imports
the services, so the tasks sit below them.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import billing, payouts, signals, stripe_client
from .models import ConnectedAccount, Payout

logger = logging.getLogger(__name__)


@shared_task(name="payments.send_payouts", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payouts(user_id: int) -> int:
    return payouts.payouts_send(user_id=user_id)


@shared_task(name="payments.reconcile")
def reconcile(days: int = 3) -> dict[str, int]:
    """Repairs what lost webhooks left behind: succeeded PaymentIntents not yet recorded, onboarding that
    finished unseen, and held payouts whose account can now receive them (sent here, in the same run)."""
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
        paid += payouts.payouts_send(user_id=user_id)
    # Client Pro subscriptions whose webhooks may have been lost.
    try:
        subscriptions = billing.reconcile_subscriptions()
    except Exception:  # Stripe not answering: the next run tries again
        logger.warning("Could not reconcile subscriptions", exc_info=True)
        subscriptions = 0
    return {"payment_intents": seen, "accounts_refreshed": refreshed, "payouts_sent": paid,
            "subscriptions_synced": subscriptions}


@shared_task(name="payments.reconcile_daily")
def reconcile_daily() -> dict[str, int]:
    """The daily comparison of the ledger with Stripe's balance and balance transactions: each difference
    is a `ReconciliationMismatch` staff see in the admin and on the dashboard."""
    from .reconciliation import reconcile_daily as compare_and_record

    return compare_and_record()
