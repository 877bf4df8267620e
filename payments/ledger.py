"""The double-entry ledger: every movement of money is one balanced `LedgerTransaction`, recorded once.

The `reference` of a movement is derived from our own ids, so recording it a second time (a retry, a
second click, a webhook delivered twice) finds the first one instead.
"""

from django.db import IntegrityError, transaction

from accounts.models import User
from core.audit import audit

from .models import LedgerEntry, LedgerTransaction


def ledger_record(
    *,
    kind: str,
    reference: str,
    entries: list[tuple[str, int, User | None]],
    currency: str,
    contract_id: int | None = None,
    milestone_id: int | None = None,
    order_id: int | None = None,
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
                                                         milestone_id=milestone_id, order_id=order_id,
                                                         description=description[:255])
            LedgerEntry.objects.bulk_create([
                LedgerEntry(transaction=ledger_tx, account=account, amount=amount, currency=currency,
                            user=user, contract_id=contract_id)
                for account, amount, user in entries if amount != 0
            ])
    except IntegrityError:  # recorded at the same moment by another process
        return LedgerTransaction.objects.get(reference=reference), False
    moved = sum(amount for _, amount, _ in entries if amount > 0)
    audit(f"money.{kind}", target=ledger_tx, new={"amount": moved, "currency": currency, "reference": reference,
                                                  "contract_id": contract_id, "milestone_id": milestone_id,
                                                  "order_id": order_id})
    return ledger_tx, True
