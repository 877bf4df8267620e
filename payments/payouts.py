"""Freelancers' earnings on their way out: their Stripe Connect account as Stripe last described it, and the
transfers of held payouts to it.

Nothing here queues work: the `send_payouts` and `reconcile` tasks call these functions, and the services
that make a payout due (a release, an account that became ready) queue `send_payouts` after commit.
"""

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.money import money_text
from messaging.models import NotificationKind
from messaging.notifications import notify

from . import stripe_client
from .ledger import ledger_record
from .models import ConnectedAccount, LedgerAccount, LedgerTransaction, Payment, Payout

logger = logging.getLogger(__name__)


def connected_account_update(*, account: ConnectedAccount, remote: Any) -> ConnectedAccount:
    """Writes what Stripe says of the account (`remote`, freshly fetched): how far onboarding got."""
    capabilities = remote.get("capabilities") or {}
    account.details_submitted = bool(remote.get("details_submitted"))
    account.charges_enabled = bool(remote.get("charges_enabled"))
    account.payouts_enabled = bool(remote.get("payouts_enabled"))
    account.transfers_active = capabilities.get("transfers") == "active"
    account.save(update_fields=["details_submitted", "charges_enabled", "payouts_enabled", "transfers_active",
                                "updated_at"])
    return account


def connected_account_fetch(*, account: ConnectedAccount) -> ConnectedAccount:
    """Asks Stripe how far onboarding got and writes it down."""
    return connected_account_update(account=account,
                                    remote=stripe_client.sdk().Account.retrieve(account.stripe_account_id))


def payouts_send(*, user_id: int) -> int:
    """Transfers every held payout of a freelancer whose account can receive. Each transfer happens once:
    the payout row is locked, and the Stripe call's idempotency key is the payout's id."""
    account = ConnectedAccount.objects.filter(user_id=user_id).first()
    if account is None or not account.can_receive:
        return 0
    sent = 0
    for payout_id in Payout.objects.filter(user_id=user_id, status=Payout.Status.HELD).values_list("pk", flat=True):
        with transaction.atomic():
            payout = (Payout.objects.select_for_update(skip_locked=True)
                      .filter(pk=payout_id, status=Payout.Status.HELD).select_related("payment").first())
            if payout is None:
                continue
            payout.attempts += 1
            try:
                transfer = stripe_client.sdk().Transfer.create(
                    amount=payout.amount, currency=payout.currency, destination=account.stripe_account_id,
                    transfer_group=f"contract-{payout.payment.contract_id}",
                    metadata={"payout_id": str(payout.pk), "milestone_id": str(payout.payment.milestone_id)},
                    idempotency_key=f"payout-{payout.pk}-{payout.refusals}",
                )
            except stripe.StripeError as exc:
                payout.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if isinstance(exc, stripe.InvalidRequestError):
                    payout.refusals += 1
                payout.save(update_fields=["attempts", "refusals", "last_error"])
                logger.warning("Transfer for payout %s failed", payout.pk, exc_info=True)
                continue
            ledger_record(
                kind=LedgerTransaction.Kind.PAYOUT, reference=f"payout:{payout.pk}", currency=payout.currency,
                entries=[(LedgerAccount.FREELANCER_PAYABLE, payout.amount, payout.user),
                         (LedgerAccount.PLATFORM_CASH, -payout.amount, None)],
                contract_id=payout.payment.contract_id, milestone_id=payout.payment.milestone_id,
                description=f"Transfer {transfer.id}",
            )
            payout.status = Payout.Status.PAID
            payout.stripe_transfer_id = transfer.id
            payout.paid_at = timezone.now()
            payout.last_error = ""
            payout.save(update_fields=["attempts", "status", "stripe_transfer_id", "paid_at", "last_error"])
            Payment.objects.filter(pk=payout.payment_id).update(payout_status=Payment.PayoutStatus.PAID,
                                                                stripe_transfer=transfer.id)
            _tell_payout_sent(payout)
            sent += 1
    return sent


def _tell_payout_sent(payout: Payout) -> None:
    amount = money_text(payout.amount, payout.currency)
    notify(user=payout.user, kind=NotificationKind.PAYOUT_SENT, title=f"{amount} is on its way to you",
           message="We transferred your earnings to your payout account.",
           data={"payment_id": payout.payment_id}, email_template="payout_sent",
           email_context={"amount": amount, "payouts_url": f"{settings.FRONTEND_URL}/payments/"})
