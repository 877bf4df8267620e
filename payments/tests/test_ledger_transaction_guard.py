"""A ledger transaction, like its entries, is written once: PostgreSQL refuses to change or delete it, whether
the change comes through the ORM or plain SQL, and the row stays as it was."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.services import ledger_record

pytestmark = pytest.mark.django_db(transaction=True)


def recorded() -> LedgerTransaction:
    ledger_tx, _ = ledger_record(kind="funding", reference="funding:pi_guard", currency="usd",
                                 description="Escrow for “Logo”", contract_id=7, milestone_id=11,
                                 entries=[(LedgerAccount.PLATFORM_CASH, 4200, None),
                                          (LedgerAccount.ESCROW, -4200, None)])
    return ledger_tx


def row(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, reference, description, contract_id, milestone_id, created_at "
                       "FROM payments_ledgertransaction WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_orm_cannot_change_or_delete_a_ledger_transaction():
    ledger_tx = recorded()
    before = row(ledger_tx.pk)
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=ledger_tx.pk).update(kind="refund")
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        ledger_tx.reference = "funding:pi_other"
        ledger_tx.save()
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=ledger_tx.pk)._raw_delete(LedgerTransaction.objects.db)
    with pytest.raises((DatabaseError, ProtectedError)), transaction.atomic():
        LedgerTransaction.objects.filter(pk=ledger_tx.pk).delete()
    assert row(ledger_tx.pk) == before
    assert LedgerEntry.objects.filter(transaction_id=ledger_tx.pk).count() == 2


@pytest.mark.parametrize("statement", [
    "UPDATE payments_ledgertransaction SET description = 'edited' WHERE id = %s",
    "UPDATE payments_ledgertransaction SET milestone_id = NULL, contract_id = NULL WHERE id = %s",
    "DELETE FROM payments_ledgertransaction WHERE id = %s",
])
def test_plain_sql_cannot_change_or_delete_a_ledger_transaction(statement):
    ledger_tx = recorded()
    before = row(ledger_tx.pk)
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [ledger_tx.pk])
    assert row(ledger_tx.pk) == before


def test_new_transactions_are_still_recorded():
    recorded()
    _, created = ledger_record(kind="refund", reference="refund:guard", currency="usd",
                               entries=[(LedgerAccount.ESCROW, 4200, None), (LedgerAccount.PLATFORM_CASH, -4200, None)])
    assert created and LedgerTransaction.objects.count() == 2
