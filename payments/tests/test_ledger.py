"""The ledger guards itself: PostgreSQL refuses an unbalanced transaction and any change to an entry."""

import pytest
from django.db import DatabaseError, transaction

from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.services import ledger_record


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transaction_cannot_commit():
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        ledger_tx = LedgerTransaction.objects.create(kind="funding", reference="broken")
        LedgerEntry.objects.create(transaction=ledger_tx, account=LedgerAccount.PLATFORM_CASH, amount=500,
                                   currency="usd")
    assert not LedgerTransaction.objects.filter(reference="broken").exists()


@pytest.mark.django_db(transaction=True)
def test_entries_are_never_changed_or_deleted():
    ledger_tx, _ = ledger_record(kind="funding", reference="ok", currency="usd",
                                 entries=[(LedgerAccount.PLATFORM_CASH, 700, None), (LedgerAccount.ESCROW, -700, None)])
    entry = ledger_tx.entries.first()
    with pytest.raises(DatabaseError, match="never changed"):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(DatabaseError, match="never changed"):
        LedgerEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
def test_a_movement_is_recorded_once_and_must_balance():
    entries = [(LedgerAccount.PLATFORM_CASH, 100, None), (LedgerAccount.ESCROW, -100, None)]
    first, created = ledger_record(kind="funding", reference="pi_1", currency="usd", entries=entries)
    again, created_again = ledger_record(kind="funding", reference="pi_1", currency="usd", entries=entries)
    assert created and not created_again and first.pk == again.pk
    assert LedgerEntry.objects.count() == 2
    with pytest.raises(ValueError, match="does not balance"):
        ledger_record(kind="funding", reference="pi_2", currency="usd",
                      entries=[(LedgerAccount.PLATFORM_CASH, 100, None)])


def test_the_fee_is_rounded_half_up_to_the_cent():
    from core.money import fee_minor, from_minor, to_minor

    assert fee_minor(to_minor("1000.00"), 10) == 10000
    assert fee_minor(to_minor("0.05"), 10) == 1  # 0.5 cent rounds up
    assert fee_minor(to_minor("0.04"), 10) == 0
    assert fee_minor(to_minor("123.45"), 10) == 1235  # 12.345 -> 12.35
    assert str(from_minor(1235)) == "12.35"
    with pytest.raises(ValueError):
        to_minor("1.005")
