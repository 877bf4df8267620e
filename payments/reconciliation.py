"""The daily comparison of the ledger with Stripe: Stripe's balance against the platform's cash account,
and every balance transaction against the ledger movement that should book it.

First the facts Stripe alone decides and a lost event may have left unbooked are booked (its fees); then
each difference becomes a `ReconciliationMismatch` (seen again on later runs until it is gone), staff see
them in the admin and on the dashboard, and `megilance_reconciliation_mismatches` counts the open ones.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from . import stripe_client
from .models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment, Payout, ReconciliationMismatch
from .stripe_events import fee_book

logger = logging.getLogger(__name__)


@dataclass
class Finding:
    key: str
    kind: str
    currency: str
    stripe_amount: int
    ledger_amount: int
    stripe_object: str = ""
    detail: str = ""


@dataclass
class Outcome:
    balance_transactions: int = 0
    fees_booked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"balance_transactions": self.balance_transactions, "fees_booked": self.fees_booked,
                "mismatches": len(self.findings)}


def _cash_of(references: list[str], *, currency: str) -> int | None:
    """What the ledger moved in the platform's cash account under these references (None: nothing booked)."""
    transactions = LedgerTransaction.objects.filter(reference__in=references)
    if not transactions.exists():
        return None
    return LedgerEntry.objects.filter(transaction__in=transactions, account=LedgerAccount.PLATFORM_CASH,
                                      currency=currency).aggregate(t=Sum("amount"))["t"] or 0


def _references_for(sdk: Any, txn: Any) -> list[str]:
    """The ledger references that book the money of one balance transaction (not its fee)."""
    source = txn["source"] if isinstance(txn["source"], str) else txn["source"]["id"]
    if source.startswith(("ch_", "py_")):
        charge = sdk.Charge.retrieve(source)
        intent = charge.get("payment_intent")
        intent_id = intent if isinstance(intent, str) else (intent or {}).get("id", "")
        references = [f"funding:{intent_id}", f"unexpected:{intent_id}:received"]
        invoice = charge.get("invoice")
        invoice_ids = [invoice if isinstance(invoice, str) else invoice.get("id")] if invoice else []
        if not invoice_ids and intent_id:
            invoice_ids = [p.get("invoice") for p in [sdk.PaymentIntent.retrieve(intent_id)] if p.get("invoice")]
        references += [f"subscription:{i}" for i in invoice_ids]
        return references
    if source.startswith("re_"):
        refs = list(Payment.objects.filter(stripe_refund=source, ledger_transaction__isnull=False)
                    .values_list("ledger_transaction__reference", flat=True))
        refund = sdk.Refund.retrieve(source)
        intent = refund.get("payment_intent") or ""
        return [*refs, f"outside_refund:{source}", f"unexpected:{intent}:returned"]
    if source.startswith("tr_"):
        return [f"payout:{pk}" for pk in Payout.objects.filter(stripe_transfer_id=source).values_list("pk", flat=True)]
    if source.startswith("trr_"):
        return [f"transfer_reversal:{source}"]
    if source.startswith("dp_"):
        return [f"chargeback:{source}"] if int(txn["amount"]) < 0 else [f"chargeback_won:{source}"]
    return []


def compare() -> Outcome:
    """Books Stripe's unbooked fees, then lists every difference between Stripe and the ledger."""
    sdk = stripe_client.sdk()
    outcome = Outcome()
    for txn in sdk.BalanceTransaction.list(limit=100).auto_paging_iter():
        outcome.balance_transactions += 1
        currency, amount, fee = txn["currency"], int(txn["amount"]), int(txn.get("fee") or 0)
        references = _references_for(sdk, txn)
        booked = _cash_of(references, currency=currency) if references else None
        if booked is None:
            outcome.findings.append(Finding(
                key=f"txn:{txn['id']}", kind=ReconciliationMismatch.Kind.MISSING_IN_LEDGER, currency=currency,
                stripe_amount=amount, ledger_amount=0, stripe_object=txn["id"],
                detail=f"{txn['type']} {txn['source']} is not in the ledger"))
            continue
        if booked != amount:
            outcome.findings.append(Finding(
                key=f"txn:{txn['id']}", kind=ReconciliationMismatch.Kind.AMOUNT_DIFFERS, currency=currency,
                stripe_amount=amount, ledger_amount=booked, stripe_object=txn["id"],
                detail=f"{txn['type']} {txn['source']}: Stripe moved {amount}, the ledger {booked}"))
        if fee and not LedgerTransaction.objects.filter(reference=f"stripe_fee:{txn['id']}").exists():
            ledger_tx = LedgerTransaction.objects.filter(reference__in=references).first()
            fee_book(txn, contract_id=ledger_tx.contract_id if ledger_tx else None,
                     milestone_id=ledger_tx.milestone_id if ledger_tx else None)
            outcome.fees_booked += 1
    balance = sdk.Balance.retrieve()
    at_stripe: dict[str, int] = {}
    for part in ("available", "pending"):
        rows = balance.get(part) or []
        for row in rows if isinstance(rows, list) else [rows]:
            at_stripe[row["currency"]] = at_stripe.get(row["currency"], 0) + int(row["amount"])
    in_ledger = {row["currency"]: row["t"] or 0 for row in LedgerEntry.objects.filter(
        account=LedgerAccount.PLATFORM_CASH).order_by().values("currency").annotate(t=Sum("amount"))}
    for currency in sorted(set(at_stripe) | set(in_ledger)):
        stripe_amount, ledger_amount = at_stripe.get(currency, 0), in_ledger.get(currency, 0)
        if stripe_amount != ledger_amount:
            outcome.findings.append(Finding(
                key=f"balance:{currency}", kind=ReconciliationMismatch.Kind.BALANCE, currency=currency,
                stripe_amount=stripe_amount, ledger_amount=ledger_amount,
                detail=f"Stripe holds {stripe_amount}, the ledger's platform cash is {ledger_amount}"))
    return outcome


def reconcile_daily() -> dict[str, int]:
    """Runs the comparison and records what it found: new differences are added, those seen again are
    touched, those gone are marked resolved."""
    outcome = compare()
    now = timezone.now()
    seen = set()
    for finding in outcome.findings:
        seen.add(finding.key)
        ReconciliationMismatch.objects.update_or_create(
            key=finding.key,
            defaults={"kind": finding.kind, "currency": finding.currency, "stripe_amount": finding.stripe_amount,
                      "ledger_amount": finding.ledger_amount, "stripe_object": finding.stripe_object,
                      "detail": finding.detail[:500], "last_seen_at": now, "resolved_at": None})
    ReconciliationMismatch.objects.filter(resolved_at__isnull=True).filter(~Q(key__in=seen)).update(resolved_at=now)
    if outcome.findings:
        logger.warning("Reconciliation found %d differences between the ledger and Stripe", len(outcome.findings))
    return outcome.as_dict()


def open_mismatches() -> int:
    return ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count()
