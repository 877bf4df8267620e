"""What Stripe did that the platform did not ask for, booked in the ledger: processing fees, chargebacks
opened, won and lost, refunds made in Stripe's dashboard, reversed transfers, a payment that did not match
what was expected; and the people told (the payer of a failed payment, staff of anything that needs them).

Every function here re-fetches what it books from Stripe by id and books each movement under a reference
made of Stripe's own ids, so a redelivered or out-of-order event, or the daily reconciliation finding the
same fact, books it once. The platform's cash account moves exactly as Stripe's balance does.
"""

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.locale import text_lazy
from core.money import Money
from messaging.models import Notification, NotificationKind
from messaging.notifications import notify

from . import signals, stripe_client
from .ledger import ledger_record
from .models import LedgerAccount, LedgerTransaction, Payment, Payout, StripeCustomer

logger = logging.getLogger(__name__)

# Metadata keys the platform puts on what it creates at Stripe: a refund carrying one is the platform's own.
PLATFORM_METADATA_KEYS = ("contract_id", "milestone_id", "order_id", "purpose", "reference", "operation")
# Set to "yes" on a charge whose app tells the payer of a decline itself (a weekly invoice charged off-session):
# the generic "your payment did not go through" notice then stays silent, so the payer hears of it once.
PAYER_TOLD_KEY = "payer_told"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    try:
        value = obj.get(name) if hasattr(obj, "get") else getattr(obj, name, default)
    except (AttributeError, KeyError):
        return default
    return default if value is None else value


def _id(value: Any) -> str:
    return value if isinstance(value, str) else (_get(value, "id") or "")


def _subject(metadata: Any) -> dict[str, int | None]:
    """The contract and milestone a payment was for, from its PaymentIntent's metadata."""
    def number(key: str) -> int | None:
        value = str(_get(metadata, key, "") or "")
        return int(value) if value.isdigit() else None
    return {"contract_id": number("contract_id"), "milestone_id": number("milestone_id")}


def tell_staff(*, title: "str | Promise", message: "str | Promise", data: dict[str, Any]) -> None:
    """Every active staff member, in the app and by e-mail per their preferences; lazy texts (`text_lazy`,
    `Money`) come out in each staff member's own language."""
    for user in User.objects.filter(is_staff=True, is_active=True).order_by("pk"):
        notify(user=user, kind=NotificationKind.MONEY_ALERT, title=title, message=message, data=data,
               email_template="money_alert", email_context={"admin_url": f"{settings.FRONTEND_URL}/admin/"})


# --- Stripe's fees --------------------------------------------------------------------------------


def fee_book(balance_transaction: Any, *, contract_id: int | None = None,
             milestone_id: int | None = None) -> LedgerTransaction | None:
    """Books the fee Stripe took on one balance transaction (a returned fee is negative), once."""
    fee = int(_get(balance_transaction, "fee", 0) or 0)
    if not fee:
        return None
    ledger_tx, _ = ledger_record(
        kind=LedgerTransaction.Kind.STRIPE_FEE, reference=f"stripe_fee:{balance_transaction['id']}",
        currency=balance_transaction["currency"],
        entries=[(LedgerAccount.STRIPE_FEES, fee, None), (LedgerAccount.PLATFORM_CASH, -fee, None)],
        contract_id=contract_id, milestone_id=milestone_id,
        description=f"Stripe's fee on {balance_transaction['source']}",
    )
    return ledger_tx


def charge_retrieve(charge_id: str) -> Any:
    return stripe_client.sdk().Charge.retrieve(charge_id, expand=["balance_transaction"])


def charge_fee_book(charge: Any) -> LedgerTransaction | None:
    """Books Stripe's processing fee on a succeeded charge (from the charge's balance transaction)."""
    txn = _get(charge, "balance_transaction")
    if not txn:
        return None
    if isinstance(txn, str):
        txn = stripe_client.sdk().BalanceTransaction.retrieve(txn)
    metadata = _payment_intent_metadata(_id(_get(charge, "payment_intent")))
    return fee_book(txn, **_subject(metadata))


def payment_intent_fee_book(payment_intent: Any) -> LedgerTransaction | None:
    """A PaymentIntent succeeded: book the fee Stripe took on its charge."""
    charge = _get(payment_intent, "latest_charge")
    if not charge:
        return None
    return charge_fee_book(charge_retrieve(_id(charge)))


def _payment_intent_metadata(payment_intent_id: str) -> dict[str, Any]:
    if not payment_intent_id:
        return {}
    intent = stripe_client.sdk().PaymentIntent.retrieve(payment_intent_id)
    return dict(_get(intent, "metadata", {}) or {})


# --- chargebacks ----------------------------------------------------------------------------------


def dispute_sync(dispute_id: str) -> None:
    """A `charge.dispute.*` event: books what the dispute moved so far (withdrawn; then returned if won,
    or written off if lost), tells the apps above and staff. Events may come in any order: each run books
    whatever the dispute's state implies and is not booked yet."""
    sdk = stripe_client.sdk()
    dispute = sdk.Dispute.retrieve(dispute_id)
    charge = sdk.Charge.retrieve(_id(dispute["charge"]))
    intent_id = _id(_get(charge, "payment_intent"))
    metadata = _payment_intent_metadata(intent_id)
    subject = _subject(metadata)
    amount, currency = int(dispute["amount"]), dispute["currency"]
    withdrawals = [t for t in dispute["balance_transactions"] if int(t["amount"]) < 0]
    returns = [t for t in dispute["balance_transactions"] if int(t["amount"]) > 0]
    status = {"won": "won", "lost": "lost"}.get(dispute["status"], "open")
    news: list[str] = []
    with transaction.atomic():
        if withdrawals:
            _, created = ledger_record(
                kind=LedgerTransaction.Kind.CHARGEBACK, reference=f"chargeback:{dispute_id}", currency=currency,
                entries=[(LedgerAccount.DISPUTED, amount, None), (LedgerAccount.PLATFORM_CASH, -amount, None)],
                description=f"Chargeback {dispute_id} on {charge['id']} ({dispute.get('reason') or 'no reason'})",
                **subject)
            for txn in withdrawals:
                fee_book(txn, **subject)
            if created:
                news.append("open")
        if status == "won" and returns:
            _, created = ledger_record(
                kind=LedgerTransaction.Kind.CHARGEBACK_WON, reference=f"chargeback_won:{dispute_id}",
                currency=currency,
                entries=[(LedgerAccount.PLATFORM_CASH, amount, None), (LedgerAccount.DISPUTED, -amount, None)],
                description=f"Chargeback {dispute_id} won: funds returned", **subject)
            for txn in returns:
                fee_book(txn, **subject)
            if created:
                news.append("won")
        if status == "lost" and withdrawals:
            _, created = ledger_record(
                kind=LedgerTransaction.Kind.CHARGEBACK_LOST, reference=f"chargeback_lost:{dispute_id}",
                currency=currency,
                entries=[(LedgerAccount.LOSSES, amount, None), (LedgerAccount.DISPUTED, -amount, None)],
                description=f"Chargeback {dispute_id} lost", **subject)
            if created:
                news.append("lost")
        if not news:
            return
        signals.chargeback_changed.send(sender=dispute_sync, payment_intent_id=intent_id, dispute_id=dispute_id,
                                        status=status, amount=amount, currency=currency, metadata=metadata)
        titles = {"open": gettext_lazy("Chargeback of %(amount)s opened"),
                  "won": gettext_lazy("Chargeback of %(amount)s won: the money is back"),
                  "lost": gettext_lazy("Chargeback of %(amount)s lost: the money is gone")}
        reason = dispute.get("reason")
        tell_staff(title=text_lazy(titles[news[-1]], amount=Money(amount, currency)),
                   message=text_lazy(
                       gettext_lazy("The card holder disputed payment %(payment)s with their bank (dispute "
                                    "%(dispute)s, reason: %(reason)s)."),
                       payment=intent_id or charge["id"], dispute=dispute_id,
                       reason=reason or gettext_lazy("not given")),
                   data={"dispute_id": dispute_id, "payment_intent_id": intent_id, "status": status, **subject})


# --- refunds made outside the platform ----------------------------------------------------------


def _is_platform_refund(refund: Any) -> bool:
    metadata = _get(refund, "metadata", {}) or {}
    if any(metadata.get(key) for key in PLATFORM_METADATA_KEYS):
        return True
    return Payment.objects.filter(stripe_refund=refund["id"]).exists()


def charge_refunds_sync(charge_id: str) -> int:
    """A `charge.refunded` event: every refund of the charge the platform did not make itself (made in
    Stripe's dashboard) is booked as money the platform lost, the payer's payments list shows it, and staff
    are told. Returns how many were booked now."""
    sdk = stripe_client.sdk()
    charge = sdk.Charge.retrieve(charge_id)
    intent_id = _id(_get(charge, "payment_intent"))
    metadata = _payment_intent_metadata(intent_id)
    subject = _subject(metadata)
    payer = StripeCustomer.objects.filter(stripe_customer_id=_id(_get(charge, "customer"))).select_related(
        "user").first()
    booked = 0
    for refund in sdk.Refund.list(charge=charge_id, limit=100).auto_paging_iter():
        if refund["status"] != "succeeded" or _is_platform_refund(refund):
            continue
        amount, currency = int(refund["amount"]), refund["currency"]
        with transaction.atomic():
            ledger_tx, created = ledger_record(
                kind=LedgerTransaction.Kind.OUTSIDE_REFUND, reference=f"outside_refund:{refund['id']}",
                currency=currency,
                entries=[(LedgerAccount.LOSSES, amount, None), (LedgerAccount.PLATFORM_CASH, -amount, None)],
                description=f"Refund {refund['id']} of {charge_id} made in Stripe's dashboard", **subject)
            if not created:
                continue
            if refund.get("balance_transaction"):
                txn = sdk.BalanceTransaction.retrieve(_id(refund["balance_transaction"]))
                fee_book(txn, **subject)
            if payer is not None:
                Payment.objects.create(
                    user=payer.user, kind=Payment.Kind.REFUND, amount=amount, currency=currency,
                    description="Refund made by MegiLance staff at Stripe", ledger_transaction=ledger_tx,
                    stripe_payment_intent=intent_id, stripe_refund=refund["id"], **subject)
            tell_staff(title=text_lazy(gettext_lazy("%(amount)s refunded outside MegiLance"),
                                       amount=Money(amount, currency)),
                       message=text_lazy(
                           gettext_lazy("Refund %(refund)s of payment %(payment)s was made in Stripe's dashboard, "
                                        "not through MegiLance. The ledger books it as a loss; check the contract "
                                        "and settle it."),
                           refund=refund["id"], payment=intent_id or charge_id),
                       data={"refund_id": refund["id"], "payment_intent_id": intent_id, **subject})
            booked += 1
    return booked


# --- reversed transfers ---------------------------------------------------------------------------


def transfer_reversals_sync(transfer_id: str) -> int:
    """A `transfer.reversed` event: money came back from a freelancer's account. It is owed to them again
    (staff decide what happens to it) and staff are told. Returns how many reversals were booked now."""
    sdk = stripe_client.sdk()
    payout = Payout.objects.filter(stripe_transfer_id=transfer_id).select_related("user", "payment").first()
    booked = 0
    for reversal in sdk.Transfer.list_reversals(transfer_id, limit=100).auto_paging_iter():
        amount, currency = int(reversal["amount"]), reversal["currency"]
        subject = ({"contract_id": payout.payment.contract_id, "milestone_id": payout.payment.milestone_id}
                   if payout is not None else {"contract_id": None, "milestone_id": None})
        owed_to = ((LedgerAccount.FREELANCER_PAYABLE, -amount, payout.user) if payout is not None
                   else (LedgerAccount.LOSSES, -amount, None))
        with transaction.atomic():
            _, created = ledger_record(
                kind=LedgerTransaction.Kind.TRANSFER_REVERSAL, reference=f"transfer_reversal:{reversal['id']}",
                currency=currency, entries=[(LedgerAccount.PLATFORM_CASH, amount, None), owed_to],
                description=f"Transfer {transfer_id} reversed ({reversal['id']})", **subject)
            if not created:
                continue
            who = (payout.user.get_full_name() or payout.user.email if payout is not None
                   else gettext_lazy("an unknown account"))
            tell_staff(title=text_lazy(gettext_lazy("Transfer of %(amount)s to %(who)s reversed"),
                                       amount=Money(amount, currency), who=who),
                       message=text_lazy(
                           gettext_lazy("Transfer %(transfer)s was reversed at Stripe (%(reversal)s). The money is "
                                        "back in the platform's balance and owed to the freelancer again until "
                                        "settled."),
                           transfer=transfer_id, reversal=reversal["id"]),
                       data={"transfer_id": transfer_id, "reversal_id": reversal["id"], **subject})
            booked += 1
    return booked


# --- failed and unexpected payments --------------------------------------------------------------


def payment_failed_tell(payment_intent: Any, error_message: str) -> Notification | None:
    """A payment failed (often later, for a payment confirmed by the bank): its payer hears of it once."""
    customer = StripeCustomer.objects.filter(stripe_customer_id=_id(_get(payment_intent, "customer"))).select_related(
        "user").first()
    if customer is None:
        return None
    metadata = _get(payment_intent, "metadata", {}) or {}
    if str(metadata.get(PAYER_TOLD_KEY, "")) == "yes":
        return None  # the app that asked for the charge told the payer itself, in its own words
    attempt = _id(_get(payment_intent, "latest_charge")) or payment_intent["id"]
    if Notification.objects.filter(user=customer.user, kind=NotificationKind.PAYMENT_FAILED,
                                   data__attempt=attempt).exists():
        return None
    amount = Money(int(payment_intent["amount"]), payment_intent["currency"])  # in the payer's language
    description = (_get(payment_intent, "metadata", {}) or {}).get("description") or gettext_lazy("your payment")
    return notify(user=customer.user, kind=NotificationKind.PAYMENT_FAILED,
                  title=text_lazy(gettext_lazy("Your payment of %(amount)s did not go through"), amount=amount),
                  message=text_lazy(gettext_lazy("%(error)s Nothing was charged for %(what)s; try again with another "
                                                 "card."), error=error_message, what=description),
                  data={"payment_intent_id": payment_intent["id"], "attempt": attempt,
                        **{k: v for k, v in _subject(_get(payment_intent, "metadata", {})).items() if v}},
                  email_template="payment_failed",
                  email_context={"payments_url": f"{settings.FRONTEND_URL}/payments/"})


def unexpected_payment_return(*, payment_intent_id: str, expected_minor: int, expected_currency: str) -> bool:
    """A PaymentIntent succeeded for another amount or currency than the platform asked for: the money is
    booked as received-but-unexpected, refunded in full, and staff are told. Once per PaymentIntent.
    Returns whether it was returned now."""
    reference = f"unexpected:{payment_intent_id}"
    if LedgerTransaction.objects.filter(reference=f"{reference}:returned").exists():
        return False
    sdk = stripe_client.sdk()
    intent = sdk.PaymentIntent.retrieve(payment_intent_id)
    if intent["status"] != "succeeded":
        return False
    amount, currency = int(intent["amount"]), intent["currency"]
    subject = _subject(_get(intent, "metadata", {}))
    try:
        refund = sdk.Refund.create(payment_intent=payment_intent_id, metadata={"purpose": "unexpected_amount"},
                                   idempotency_key=f"refund:{reference}")
    except stripe.StripeError:
        logger.warning("Could not return unexpected payment %s", payment_intent_id, exc_info=True)
        return False
    with transaction.atomic():
        ledger_record(kind=LedgerTransaction.Kind.UNEXPECTED, reference=f"{reference}:received", currency=currency,
                      entries=[(LedgerAccount.PLATFORM_CASH, amount, None), (LedgerAccount.SUSPENSE, -amount, None)],
                      description=f"Payment {payment_intent_id} did not match what was asked", **subject)
        _, created = ledger_record(
            kind=LedgerTransaction.Kind.UNEXPECTED, reference=f"{reference}:returned", currency=currency,
            entries=[(LedgerAccount.SUSPENSE, amount, None), (LedgerAccount.PLATFORM_CASH, -amount, None)],
            description=f"Unexpected payment {payment_intent_id} refunded ({refund['id']})", **subject)
        payment_intent_fee_book(intent)
        if created:
            tell_staff(title=text_lazy(gettext_lazy("Unexpected payment of %(amount)s refunded"),
                                       amount=Money(amount, currency)),
                       message=text_lazy(
                           gettext_lazy("PaymentIntent %(payment)s succeeded for %(amount)s; %(expected)s was "
                                        "expected. It was refunded in full (%(refund)s)."),
                           payment=payment_intent_id, amount=Money(amount, currency),
                           expected=Money(expected_minor, expected_currency), refund=refund["id"]),
                       data={"payment_intent_id": payment_intent_id, "refund_id": refund["id"], **subject})
    return created
