"""Charges, escrow movements and payout accounts: what the apps above payments call to move money.

Every movement of money is one `LedgerTransaction` whose entries sum to zero (`payments.ledger`), with a
`reference` derived from our own ids, so recording it twice is impossible. Every Stripe call that moves money
is a `PaymentOperation` (`payments.operations`): written down first with an idempotency key derived from the
same ids, asked of Stripe outside any transaction, and booked in a transaction of its own, so a retried
request, a Stripe that does not answer or a process that dies midway never charges, refunds or transfers
twice and never loses a booking. The caller says what the money was for (`contract_title`, `milestone_title`): receipts
and the payments list show it as it was when the money moved.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from core.exceptions import ApplicationError
from core.locale import recipient_locale
from core.money import fee_minor, money_text, percent_text

from . import payouts, stripe_client
from .customers import customer_id_for
from .exceptions import PaymentError, PaymentInProgress, PaymentProviderUnavailable, PaymentServiceUnavailable
from .ledger import ledger_record
from .models import ConnectedAccount, LedgerAccount, LedgerTransaction, Payment, PaymentOperation, Payout
from .operations import (
    Outcome,
    operation_create,
    operation_guard,
    operation_open,
    operation_run,
    operation_settle,
    operation_take_over,
)
from .tasks import send_payouts, settle_operation

logger = logging.getLogger(__name__)


# --- charges ------------------------------------------------------------------------------------


def charge_begin(*, payer: User, amount_minor: int, currency: str, payment_method: str | None,
                 idempotency_key: str, metadata: dict[str, str], description: str, purpose: str, subject_type: str,
                 subject_id: Any, customer_id: str) -> PaymentOperation:
    """Writes down a PaymentIntent to create (and with a payment method, confirm) for the payer, in the caller's
    transaction. `customer_id` comes from `customer_for`, asked before the transaction began."""
    params: dict[str, Any] = {
        "amount": amount_minor, "currency": currency, "customer": customer_id,
        "metadata": {**metadata, "description": description[:255]}, "payment_method_types": ["card"],
    }
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
    return operation_create(kind=PaymentOperation.Kind.CHARGE, purpose=purpose, subject_type=subject_type,
                            subject_id=subject_id, amount_minor=amount_minor, currency=currency,
                            idempotency_key=idempotency_key, params=params, context={"payer_id": payer.pk})


def customer_for(payer: User) -> str:
    """The payer's Stripe customer id (created at Stripe the first time). Call it outside any transaction."""
    try:
        return customer_id_for(payer)
    except (stripe.APIConnectionError, stripe.APIError) as exc:
        raise PaymentProviderUnavailable() from exc


def payment_intent_retrieve(payment_intent_id: str) -> Any:
    return stripe_client.sdk().PaymentIntent.retrieve(payment_intent_id)


def payment_intent_fetch(payment_intent_id: str) -> Any:
    """A PaymentIntent as Stripe has it now; 503 (PaymentProviderUnavailable) when Stripe cannot be reached."""
    try:
        return payment_intent_retrieve(payment_intent_id)
    except (stripe.APIConnectionError, stripe.APIError) as exc:
        raise PaymentProviderUnavailable() from exc
    except stripe.StripeError as exc:
        raise PaymentServiceUnavailable() from exc


def operation_settle_later(operation_id: int) -> None:
    """Queues a written-down operation to be asked of Stripe and booked (after the caller's commit)."""
    try:
        settle_operation.delay(operation_id)
    except Exception:  # the broker is down: reconciliation settles it
        logger.warning("Could not queue payment operation %s", operation_id, exc_info=True)


@dataclass(frozen=True)
class IntentState:
    """Where a PaymentIntent stands at Stripe: its status, and the secret Stripe.js confirms it with."""

    status: str
    client_secret: str | None


def payment_intent_state(payment_intent_id: str) -> IntentState:
    """Asks Stripe where a PaymentIntent stands. Raises PaymentServiceUnavailable when Stripe does not answer."""
    try:
        intent = payment_intent_retrieve(payment_intent_id)
    except stripe.StripeError as exc:
        logger.warning("Could not look up PaymentIntent %s", payment_intent_id, exc_info=True)
        raise PaymentServiceUnavailable() from exc
    return IntentState(status=intent.status, client_secret=intent.client_secret)


def payment_intent_authenticate_test(*, payment_intent_id: str, client_secret: str) -> IntentState:
    """The test-mode stand-in of the bank's 3-D Secure page: confirms the check a test card asked for.

    Only the local Stripe emulator (`STRIPE_API_BASE`) has this; with real Stripe the bank's own page,
    opened by Stripe.js in the browser, does it. Returns where the PaymentIntent stands afterwards.
    """
    if not settings.STRIPE_API_BASE:
        raise ApplicationError(gettext("Your bank confirms the payment on its own page."), code="permission_denied",
                               status_code=403)
    try:
        stripe_client.sdk().PaymentIntent._static_request(
            "post", f"/v1/payment_intents/{payment_intent_id}/_authenticate",
            params={"client_secret": client_secret, "success": "true"})
    except stripe.StripeError as exc:
        logger.warning("Could not confirm PaymentIntent %s", payment_intent_id, exc_info=True)
        raise PaymentServiceUnavailable() from exc
    return payment_intent_state(payment_intent_id)


# --- funding, release, refund -------------------------------------------------------------------


def _subject(*, contract_id: int | None, milestone_id: int | None, contract_title: str, milestone_title: str,
             order_id: int | None, order_title: str) -> dict[str, Any]:
    """What a payments row says it was for: a contract's milestone, or an order of a service."""
    return {"contract_id": contract_id, "milestone_id": milestone_id, "contract_title": contract_title[:255],
            "milestone_title": milestone_title[:255], "order_id": order_id, "order_title": order_title[:255]}


def funding_record(*, payer: User, payment_intent_id: str, amount_minor: int, currency: str,
                   contract_id: int | None = None, milestone_id: int | None = None, description: str,
                   contract_title: str = "", milestone_title: str = "", order_id: int | None = None,
                   order_title: str = "") -> tuple[Payment, bool]:
    """The client's money arrived: platform balance up, escrow up. Once per PaymentIntent."""
    subject = _subject(contract_id=contract_id, milestone_id=milestone_id, contract_title=contract_title,
                       milestone_title=milestone_title, order_id=order_id, order_title=order_title)
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.FUNDING, reference=f"funding:{payment_intent_id}", currency=currency,
            entries=[(LedgerAccount.PLATFORM_CASH, amount_minor, None),
                     (LedgerAccount.ESCROW, -amount_minor, None)],
            contract_id=contract_id, milestone_id=milestone_id, order_id=order_id, description=description,
        )
        if not created:
            return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.FUNDING), False
        payment = Payment.objects.create(
            user=payer, kind=Payment.Kind.FUNDING, amount=amount_minor, currency=currency, description=description,
            ledger_transaction=ledger_tx, stripe_payment_intent=payment_intent_id, **subject,
        )
    return payment, True


def release_record(*, payee: User, gross_minor: int, currency: str, contract_id: int | None = None,
                   milestone_id: int | None = None, reference: str, description: str, contract_title: str = "",
                   milestone_title: str = "", fee_percent: Decimal | int | None = None,
                   order_id: int | None = None, order_title: str = "") -> Payment:
    """Escrow to the freelancer, less the platform fee: `fee_percent` as fixed when the money came in
    (today's PLATFORM_FEE_PERCENT if not given). The net is owed until the payout transfers it."""
    percent = settings.PLATFORM_FEE_PERCENT if fee_percent is None else fee_percent
    fee = fee_minor(gross_minor, percent)
    net = gross_minor - fee
    subject = _subject(contract_id=contract_id, milestone_id=milestone_id, contract_title=contract_title,
                       milestone_title=milestone_title, order_id=order_id, order_title=order_title)
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.RELEASE, reference=reference, currency=currency,
            entries=[(LedgerAccount.ESCROW, gross_minor, None),
                     (LedgerAccount.PLATFORM_FEES, -fee, None),
                     (LedgerAccount.FREELANCER_PAYABLE, -net, payee)],
            contract_id=contract_id, milestone_id=milestone_id, order_id=order_id, description=description,
        )
        if not created:
            return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.RELEASE)
        release = Payment.objects.create(
            user=payee, kind=Payment.Kind.RELEASE, amount=net, currency=currency, description=description,
            ledger_transaction=ledger_tx, payout_status=Payment.PayoutStatus.HELD, **subject,
        )
        if fee:
            Payment.objects.create(
                user=payee, kind=Payment.Kind.FEE, amount=fee, currency=currency,
                description=_fee_text(payee, percent, gross_minor, currency),
                ledger_transaction=ledger_tx, **subject,
            )
        Payout.objects.create(payment=release, user=payee, amount=net, currency=currency)
        transaction.on_commit(lambda: _queue_payouts(payee.pk))
    return release


def _fee_text(payee: User, percent: Decimal | int, gross_minor: int, currency: str) -> str:
    """The fee row's description, stored once in the language of the member whose payments list shows it."""
    with recipient_locale(payee):
        return gettext("Platform fee (%(percent)s%%) on %(amount)s") % {
            "percent": percent_text(percent), "amount": money_text(gross_minor, currency)}


def refund_begin(*, payer: User, payment_intent_id: str, amount_minor: int, currency: str,
                 contract_id: int | None = None, milestone_id: int | None = None, reference: str, description: str,
                 purpose: str, subject_type: str, subject_id: Any, contract_title: str = "",
                 milestone_title: str = "", order_id: int | None = None, order_title: str = "",
                 decision: dict[str, Any] | None = None) -> PaymentOperation:
    """Writes down a refund of escrow to the client's card, in the caller's transaction. Once Stripe made it,
    booking records the ledger movement (`reference`) and the payer's payments row; `decision` is handed
    back to the caller's receiver with the operation."""
    subject = _subject(contract_id=contract_id, milestone_id=milestone_id, contract_title=contract_title,
                       milestone_title=milestone_title, order_id=order_id, order_title=order_title)
    metadata = {name: str(value) for name, value in subject.items() if name.endswith("_id") and value is not None}
    return operation_create(
        kind=PaymentOperation.Kind.REFUND, purpose=purpose, subject_type=subject_type, subject_id=subject_id,
        amount_minor=amount_minor, currency=currency, idempotency_key=f"refund:{reference}",
        params={"payment_intent": payment_intent_id, "amount": amount_minor, "metadata": metadata},
        context={"payer_id": payer.pk, "reference": reference, "description": description, **subject,
                 **(decision or {})},
    )


# --- Connect and payouts ------------------------------------------------------------------------


def connect_account_for(user: User) -> ConnectedAccount:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        account = ConnectedAccount.objects.filter(user=user).first()
        if account is not None:
            return account
        remote = stripe_client.sdk().Account.create(
            type="express", email=user.email, country=(user.country or "US"),
            capabilities={"transfers": {"requested": True}}, metadata={"user_id": str(user.pk)},
            idempotency_key=f"connect-account-{user.pk}",
        )
        return ConnectedAccount.objects.create(user=user, stripe_account_id=remote.id)


def connect_onboarding_link(*, user: User, return_url: str, refresh_url: str) -> str:
    if user.user_type != "freelancer":
        raise ApplicationError(gettext("Payout accounts are for freelancers."),
                               code="permission_denied", status_code=403)
    account = connect_account_for(user)
    try:
        link = stripe_client.sdk().AccountLink.create(account=account.stripe_account_id, refresh_url=refresh_url,
                                                      return_url=return_url, type="account_onboarding")
    except stripe.StripeError as exc:
        raise PaymentError("The payout service is not answering; try again shortly.",
                           code="payment_service_unavailable", status_code=503) from exc
    return link.url


def connect_apply(account: ConnectedAccount, remote: Any) -> ConnectedAccount:
    """Writes what Stripe says of the account; once it can receive, its held payouts are queued."""
    payouts.connected_account_update(account=account, remote=remote)
    if account.can_receive:
        transaction.on_commit(lambda: _queue_payouts(account.user_id))
    return account


def connect_refresh(user: User) -> ConnectedAccount | None:
    """Asks Stripe how far onboarding got; held payouts go out once it is complete."""
    account = ConnectedAccount.objects.filter(user=user).first()
    if account is None:
        return None
    return connect_apply(account, stripe_client.sdk().Account.retrieve(account.stripe_account_id))


def connect_updated(stripe_account_id: str) -> None:
    """An `account.updated` webhook: re-fetch the account (events can come late and out of order)."""
    account = ConnectedAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is not None:
        connect_apply(account, stripe_client.sdk().Account.retrieve(stripe_account_id))


def payouts_queue(user_id: int) -> None:
    """Queues the transfer of the user's held payouts (after the caller's commit, when called in one)."""
    transaction.on_commit(lambda: _queue_payouts(user_id))


def _queue_payouts(user_id: int) -> None:
    try:
        send_payouts.delay(user_id)
    except Exception:  # the broker is down: reconciliation sends held payouts later
        logger.warning("Could not queue payouts for user %s", user_id, exc_info=True)



__all__ = ["Outcome", "PaymentError", "PaymentInProgress", "PaymentProviderUnavailable", "PaymentServiceUnavailable",
           "operation_guard", "operation_open", "operation_run", "operation_settle", "operation_take_over"]
