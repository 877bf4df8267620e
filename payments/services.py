"""Stripe calls, the double-entry ledger and payouts.

Every movement of money is one `LedgerTransaction` whose entries sum to zero, with a `reference` derived
from our own ids, so recording it twice is impossible. Every Stripe call that creates something carries
an idempotency key derived from the same ids, so a retried request never charges, refunds or transfers
twice.
"""

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError
from core.money import fee_minor, money_text

from . import stripe_client
from .models import (
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    StripeCustomer,
)

logger = logging.getLogger(__name__)


class PaymentError(ApplicationError):
    status_code = 402
    default_code = "payment_failed"
    default_detail = "The payment did not go through."


# --- the ledger ---------------------------------------------------------------------------------


def ledger_record(
    *,
    kind: str,
    reference: str,
    entries: list[tuple[str, int, User | None]],
    currency: str,
    contract_id: int | None = None,
    milestone_id: int | None = None,
    description: str = "",
) -> tuple[LedgerTransaction, bool]:
    """Records one balanced movement once. Returns (transaction, created).

    `entries` are (account, amount, user) with debits positive and credits negative; they must sum to 0.
    """
    if sum(amount for _, amount, _ in entries) != 0:
        raise ValueError(f"ledger transaction {reference} does not balance")
    existing = LedgerTransaction.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            ledger_tx = LedgerTransaction.objects.create(kind=kind, reference=reference, contract_id=contract_id,
                                                         milestone_id=milestone_id, description=description[:255])
            LedgerEntry.objects.bulk_create([
                LedgerEntry(transaction=ledger_tx, account=account, amount=amount, currency=currency,
                            user=user, contract_id=contract_id)
                for account, amount, user in entries if amount != 0
            ])
    except IntegrityError:  # recorded at the same moment by another process
        return LedgerTransaction.objects.get(reference=reference), False
    moved = sum(amount for _, amount, _ in entries if amount > 0)
    audit(f"money.{kind}", target=ledger_tx, new={"amount": moved, "currency": currency, "reference": reference,
                                                  "contract_id": contract_id, "milestone_id": milestone_id})
    return ledger_tx, True


def _balance(**filters: Any) -> int:
    return LedgerEntry.objects.filter(**filters).aggregate(total=Sum("amount"))["total"] or 0


def escrow_balance(contract_id: int) -> int:
    """What the contract holds in escrow, in minor units."""
    return -_balance(account=LedgerAccount.ESCROW, contract_id=contract_id)


def freelancer_balances(user: User, currency: str = "usd") -> dict[str, int]:
    """Earnings in one currency: `pending` (owed, waiting for payout), `paid` (transferred), `total` (net of fees)."""
    mine = {"account": LedgerAccount.FREELANCER_PAYABLE, "user": user, "currency": currency}
    credited = -_balance(**mine, amount__lt=0)
    pending = -_balance(**mine)
    return {"pending": pending, "paid": credited - pending, "total": credited}


def client_spent(user: User, currency: str = "usd") -> int:
    """Funded minus refunded in one currency, in minor units."""
    funded = Payment.objects.filter(user=user, kind=Payment.Kind.FUNDING, status=Payment.Status.SUCCEEDED,
                                    currency=currency)
    refunded = Payment.objects.filter(user=user, kind=Payment.Kind.REFUND, status=Payment.Status.SUCCEEDED,
                                      currency=currency)
    return (funded.aggregate(t=Sum("amount"))["t"] or 0) - (refunded.aggregate(t=Sum("amount"))["t"] or 0)


def platform_cash() -> int:
    """What the ledger says the platform's Stripe balance is."""
    return _balance(account=LedgerAccount.PLATFORM_CASH)


# --- customers and charges ----------------------------------------------------------------------


def customer_id_for(user: User) -> str:
    """The user's Stripe customer, created once (the user row is locked so two requests make one)."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = StripeCustomer.objects.filter(user=user).first()
        if existing is not None:
            return existing.stripe_customer_id
        customer = stripe_client.sdk().Customer.create(
            email=user.email, name=user.get_full_name(), metadata={"user_id": str(user.pk)},
            idempotency_key=f"customer-{user.pk}",
        )
        StripeCustomer.objects.create(user=user, stripe_customer_id=customer.id)
        return customer.id


@dataclass
class ChargeOutcome:
    status: str
    payment_intent_id: str
    client_secret: str | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def charge_start(*, payer: User, amount_minor: int, currency: str, payment_method: str | None,
                 idempotency_key: str, metadata: dict[str, str], description: str) -> ChargeOutcome:
    """Creates (and with a payment method, confirms) a PaymentIntent charging the payer on the platform.

    A declined card is not an exception here: the outcome says what happened.
    """
    customer = customer_id_for(payer)
    params: dict[str, Any] = {
        "amount": amount_minor, "currency": currency, "customer": customer,
        "metadata": {**metadata, "description": description[:255]}, "payment_method_types": ["card"],
    }
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
    try:
        intent = stripe_client.sdk().PaymentIntent.create(**params, idempotency_key=idempotency_key)
    except stripe.CardError as exc:
        intent_data = getattr(exc.error, "payment_intent", None) or {}
        return ChargeOutcome(status="declined", payment_intent_id=intent_data.get("id", ""), client_secret=None,
                             error=exc.user_message or "Your card was declined.")
    except stripe.InvalidRequestError as exc:
        raise PaymentError(exc.user_message or "The payment details are not valid.", code="invalid_payment") from exc
    except stripe.StripeError as exc:
        logger.warning("Stripe refused a charge", exc_info=True)
        raise PaymentError("The payment service is not answering. Nothing was charged; try again shortly.",
                           code="payment_service_unavailable", status_code=503) from exc
    return ChargeOutcome(status=intent.status, payment_intent_id=intent.id, client_secret=intent.client_secret)


def payment_intent_retrieve(payment_intent_id: str) -> Any:
    return stripe_client.sdk().PaymentIntent.retrieve(payment_intent_id)


def funding_record(*, payer: User, payment_intent_id: str, amount_minor: int, currency: str, contract_id: int,
                   milestone_id: int, description: str) -> tuple[Payment, bool]:
    """The client's money arrived: platform balance up, escrow of the contract up. Once per PaymentIntent."""
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.FUNDING, reference=f"funding:{payment_intent_id}", currency=currency,
            entries=[(LedgerAccount.PLATFORM_CASH, amount_minor, None),
                     (LedgerAccount.ESCROW, -amount_minor, None)],
            contract_id=contract_id, milestone_id=milestone_id, description=description,
        )
        if not created:
            return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.FUNDING), False
        payment = Payment.objects.create(
            user=payer, kind=Payment.Kind.FUNDING, amount=amount_minor, currency=currency, description=description,
            contract_id=contract_id, milestone_id=milestone_id, ledger_transaction=ledger_tx,
            stripe_payment_intent=payment_intent_id,
        )
    return payment, True


# --- release, refund, split ---------------------------------------------------------------------


def release_record(*, payee: User, gross_minor: int, currency: str, contract_id: int, milestone_id: int,
                   reference: str, description: str) -> Payment:
    """Escrow to the freelancer, less the platform fee. The net is owed until the payout transfers it."""
    fee = fee_minor(gross_minor, settings.PLATFORM_FEE_PERCENT)
    net = gross_minor - fee
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.RELEASE, reference=reference, currency=currency,
            entries=[(LedgerAccount.ESCROW, gross_minor, None),
                     (LedgerAccount.PLATFORM_FEES, -fee, None),
                     (LedgerAccount.FREELANCER_PAYABLE, -net, payee)],
            contract_id=contract_id, milestone_id=milestone_id, description=description,
        )
        if not created:
            return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.RELEASE)
        release = Payment.objects.create(
            user=payee, kind=Payment.Kind.RELEASE, amount=net, currency=currency, description=description,
            contract_id=contract_id, milestone_id=milestone_id, ledger_transaction=ledger_tx,
            payout_status=Payment.PayoutStatus.HELD,
        )
        if fee:
            Payment.objects.create(
                user=payee, kind=Payment.Kind.FEE, amount=fee, currency=currency,
                description=f"Platform fee ({settings.PLATFORM_FEE_PERCENT}%) on {money_text(gross_minor, currency)}",
                contract_id=contract_id, milestone_id=milestone_id, ledger_transaction=ledger_tx,
            )
        Payout.objects.create(payment=release, user=payee, amount=net, currency=currency)
        transaction.on_commit(lambda: _queue_payouts(payee.pk))
    return release


def refund_issue(*, payer: User, payment_intent_id: str, amount_minor: int, currency: str, contract_id: int,
                 milestone_id: int, reference: str, description: str) -> Payment:
    """Escrow back to the client's card, through a Stripe refund made once (keyed by `reference`)."""
    existing = LedgerTransaction.objects.filter(reference=reference).first()
    if existing is not None:
        return Payment.objects.get(ledger_transaction=existing, kind=Payment.Kind.REFUND)
    try:
        refund = stripe_client.sdk().Refund.create(payment_intent=payment_intent_id, amount=amount_minor,
                                         metadata={"contract_id": str(contract_id), "milestone_id": str(milestone_id)},
                                         idempotency_key=f"refund:{reference}")
    except stripe.StripeError as exc:
        logger.warning("Stripe refused a refund", exc_info=True)
        raise PaymentError("The refund could not be made right now. Nothing changed; try again shortly.",
                           code="refund_failed", status_code=503) from exc
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.REFUND, reference=reference, currency=currency,
            entries=[(LedgerAccount.ESCROW, amount_minor, None),
                     (LedgerAccount.PLATFORM_CASH, -amount_minor, None)],
            contract_id=contract_id, milestone_id=milestone_id, description=description,
        )
        if not created:
            return Payment.objects.get(ledger_transaction=ledger_tx, kind=Payment.Kind.REFUND)
        return Payment.objects.create(
            user=payer, kind=Payment.Kind.REFUND, amount=amount_minor, currency=currency, description=description,
            contract_id=contract_id, milestone_id=milestone_id, ledger_transaction=ledger_tx,
            stripe_payment_intent=payment_intent_id, stripe_refund=refund.id,
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
        raise ApplicationError("Payout accounts are for freelancers.", code="permission_denied", status_code=403)
    account = connect_account_for(user)
    try:
        link = stripe_client.sdk().AccountLink.create(account=account.stripe_account_id, refresh_url=refresh_url,
                                            return_url=return_url, type="account_onboarding")
    except stripe.StripeError as exc:
        raise PaymentError("The payout service is not answering; try again shortly.",
                           code="payment_service_unavailable", status_code=503) from exc
    return link.url


def connect_apply(account: ConnectedAccount, remote: Any) -> ConnectedAccount:
    capabilities = remote.get("capabilities") or {}
    account.details_submitted = bool(remote.get("details_submitted"))
    account.charges_enabled = bool(remote.get("charges_enabled"))
    account.payouts_enabled = bool(remote.get("payouts_enabled"))
    account.transfers_active = capabilities.get("transfers") == "active"
    account.save(update_fields=["details_submitted", "charges_enabled", "payouts_enabled", "transfers_active",
                                "updated_at"])
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


def _queue_payouts(user_id: int) -> None:
    from .tasks import send_payouts

    try:
        send_payouts.delay(user_id)
    except Exception:  # the broker is down: reconciliation sends held payouts later
        logger.warning("Could not queue payouts for user %s", user_id, exc_info=True)


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
    from messaging.models import NotificationKind
    from messaging.notifications import notify

    amount = money_text(payout.amount, payout.currency)
    notify(user=payout.user, kind=NotificationKind.PAYOUT_SENT, title=f"{amount} is on its way to you",
           message="We transferred your earnings to your payout account.",
           data={"payment_id": payout.payment_id}, email_template="payout_sent",
           email_context={"amount": amount, "payouts_url": f"{settings.FRONTEND_URL}/payments/"})
