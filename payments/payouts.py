"""Freelancers' earnings on their way out: their Stripe Connect account as Stripe last described it, and the
transfers of held payouts to it, made as payment operations (`operations`): written down under the payout's
lock, asked of Stripe outside any transaction, booked once in a transaction of their own.

Nothing here queues work: the `send_payouts` and `reconcile` tasks call these functions, and the services
that make a payout due (a release, an account that became ready) queue `send_payouts` after commit.
"""

import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.money import Money
from messaging.models import NotificationKind
from messaging.notifications import notify

from . import signals, stripe_client
from .exceptions import PaymentInProgress, PaymentProviderUnavailable
from .holds import payout_hold_reason
from .ledger import ledger_record
from .models import ConnectedAccount, LedgerAccount, LedgerTransaction, Payment, PaymentOperation, Payout
from .operations import operation_book, operation_create, operation_open, operation_run, operation_take_over

logger = logging.getLogger(__name__)

# The subject (and purpose) of a payout's transfer operation: `PaymentOperation(subject_type="payout")`.
SUBJECT = "payout"


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


@dataclass
class PayoutsSent:
    """What one run of `payouts_send` did with a freelancer's held payouts."""

    sent: int = 0  # transferred by Stripe and booked
    refused: int = 0  # Stripe refused (the payout's last error says why); the next try asks with a new key
    unavailable: int = 0  # Stripe did not answer: still held; reconciliation finishes it once Stripe answers
    in_progress: int = 0  # a transfer of it is already on its way (another run is sending or booking it)
    held_for_review: int = 0  # kept held: an app above payments holds them (`holds.py`), until staff decide

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def payouts_send(*, user_id: int) -> PayoutsSent:
    """Transfers every held payout of a freelancer whose account can receive, each once.

    Per payout: the transfer is written down as a `PaymentOperation` under the payout's row lock (its
    idempotency key is the payout's id and how many times Stripe refused it), Stripe is asked outside any
    transaction, and the transfer is booked (ledger, payout paid) in a transaction of its own by
    `_on_transfer_booked`. A Stripe that does not answer leaves the payout held and the operation unknown,
    for reconciliation to finish; it is counted, never raised, so one payout does not stop the others."""
    result = PayoutsSent()
    account = ConnectedAccount.objects.filter(user_id=user_id).first()
    if account is None or not account.can_receive:
        return result
    hold = payout_hold_reason(user_id)
    if hold:
        result.held_for_review = Payout.objects.filter(user_id=user_id, status=Payout.Status.HELD).update(
            last_error=hold[:2000])
        logger.info("Payouts of user %s held for review: %s", user_id, hold)
        return result
    for payout_id in Payout.objects.filter(user_id=user_id, status=Payout.Status.HELD).values_list("pk", flat=True):
        try:
            operation = _transfer_begin(payout_id, account)
        except PaymentInProgress:
            result.in_progress += 1
            continue
        if operation is None:
            continue
        try:
            if operation.status == PaymentOperation.Status.SUCCEEDED:  # transferred earlier, not yet booked
                status = operation_book(operation).status
                error = ""
            else:
                outcome = operation_run(operation)
                status, error = outcome.operation.status, outcome.error
        except PaymentProviderUnavailable:
            Payout.objects.filter(pk=payout_id, status=Payout.Status.HELD).update(
                last_error="Stripe did not answer; the transfer is finished once it answers.")
            result.unavailable += 1
            continue
        if status == PaymentOperation.Status.BOOKED:
            result.sent += 1
        elif status == PaymentOperation.Status.FAILED:
            Payout.objects.filter(pk=payout_id, status=Payout.Status.HELD).update(
                refusals=F("refusals") + 1, last_error=(error or operation.last_error)[:2000])
            logger.warning("Stripe refused the transfer of payout %s: %s", payout_id, error)
            result.refused += 1
        else:
            result.in_progress += 1
    return result


def _transfer_key(payout: Payout, refusals: int) -> str:
    return f"payout-{payout.pk}-{refusals}"


def _transfer_begin(payout_id: int, account: ConnectedAccount) -> PaymentOperation | None:
    """Under the payout's row lock: the operation to ask Stripe for, written down (or one left unfinished,
    taken over). None if the payout is no longer held; PaymentInProgress while another run has it."""
    with transaction.atomic():
        payout = (Payout.objects.select_for_update(skip_locked=True)
                  .filter(pk=payout_id, status=Payout.Status.HELD).select_related("payment").first())
        if payout is None:
            if Payout.objects.filter(pk=payout_id, status=Payout.Status.HELD).exists():
                raise PaymentInProgress()  # locked by another run
            return None
        left = operation_open(subject_type=SUBJECT, subject_id=payout.pk)
        if left is not None:
            # Never wait for the operation's lock: a booking holds it, and then wants this payout's.
            try:
                with transaction.atomic():
                    PaymentOperation.objects.select_for_update(nowait=True).filter(pk=left.pk).first()
            except DatabaseError as exc:
                raise PaymentInProgress() from exc
            operation = operation_take_over(left)
            Payout.objects.filter(pk=payout.pk).update(attempts=F("attempts") + 1)
            return operation
        # A refused request stays refused under its key at Stripe: each new try after a refusal needs a new one.
        refusals = payout.refusals
        while PaymentOperation.objects.filter(idempotency_key=_transfer_key(payout, refusals)).exists():
            refusals += 1
        operation = operation_create(
            kind=PaymentOperation.Kind.TRANSFER, purpose=SUBJECT, subject_type=SUBJECT, subject_id=payout.pk,
            amount_minor=payout.amount, currency=payout.currency,
            idempotency_key=_transfer_key(payout, refusals),
            params={"amount": payout.amount, "currency": payout.currency, "destination": account.stripe_account_id,
                    "transfer_group": f"contract-{payout.payment.contract_id}",
                    "metadata": {"payout_id": str(payout.pk), "milestone_id": str(payout.payment.milestone_id)}},
        )
        Payout.objects.filter(pk=payout.pk).update(attempts=F("attempts") + 1, refusals=refusals)
        return operation


@receiver(signals.payment_operation_booked, dispatch_uid="payments.payout_transfer_booked")
def _on_transfer_booked(sender: Any, operation: PaymentOperation, stripe_object: Any, **kwargs: Any) -> None:
    """Stripe made a payout's transfer: the ledger movement, the payout and its release marked paid, and the
    freelancer told, in the booking's transaction (the operation row locked), once."""
    if operation.subject_type != SUBJECT:
        return
    payout = Payout.objects.select_for_update().select_related("payment", "user").get(pk=int(operation.subject_id))
    if payout.status == Payout.Status.PAID:
        if payout.stripe_transfer_id != stripe_object.id:
            logger.error("Payout %s was paid by %s and again by %s", payout.pk, payout.stripe_transfer_id,
                         stripe_object.id)
        return
    ledger_record(
        kind=LedgerTransaction.Kind.PAYOUT, reference=f"payout:{payout.pk}", currency=payout.currency,
        entries=[(LedgerAccount.FREELANCER_PAYABLE, payout.amount, payout.user),
                 (LedgerAccount.PLATFORM_CASH, -payout.amount, None)],
        contract_id=payout.payment.contract_id, milestone_id=payout.payment.milestone_id,
        description=f"Transfer {stripe_object.id}",
    )
    payout.status = Payout.Status.PAID
    payout.stripe_transfer_id = stripe_object.id
    payout.paid_at = timezone.now()
    payout.last_error = ""
    payout.save(update_fields=["status", "stripe_transfer_id", "paid_at", "last_error"])
    Payment.objects.filter(pk=payout.payment_id).update(payout_status=Payment.PayoutStatus.PAID,
                                                        stripe_transfer=stripe_object.id)
    _tell_payout_sent(payout)


def _tell_payout_sent(payout: Payout) -> None:
    amount = Money(payout.amount, payout.currency)
    notify(user=payout.user, kind=NotificationKind.PAYOUT_SENT,
           title=format_lazy(_("{amount} is on its way to you"), amount=amount),
           message=_("We transferred your earnings to your payout account."),
           data={"payment_id": payout.payment_id}, email_template="payout_sent",
           email_context={"amount": amount, "payouts_url": f"{settings.FRONTEND_URL}/payments/"})
