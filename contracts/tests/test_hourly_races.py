"""Twenty workers closing the same week at the same moment make one invoice, and twenty charging it make one
charge at Stripe: real PostgreSQL connections and threads, a frozen clock, the Stripe emulator."""

import threading
from collections.abc import Callable

import pytest
import time_machine
from django.db import connections

from contracts import hourly
from contracts.models import WeeklyInvoice, WeeklyInvoiceStatusChange
from messaging.models import Notification
from payments.methods import card_save
from payments.models import LedgerTransaction, Payment, PaymentOperation
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_clean")]
WORKERS = 20


def all_at_once(call: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(WORKERS)
    results: list[object] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            result = call()
            with lock:
                results.append(result)
        except BaseException as exc:  # every failure fails the test below
            with lock:
                failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results, failures


def test_twenty_closes_make_one_invoice_and_twenty_charges_one_charge(client_user, freelancer_user):
    with time_machine.travel(at(3), tick=True):
        contract = make_hourly_contract(client_user, freelancer_user, "52.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=95, memo="Work")

    with time_machine.travel(at(9, 0, 5), tick=True):
        results, failures = all_at_once(lambda: hourly.weeks_close_due())
    assert failures == []
    assert sum(result["closed"] for result in results) == 1  # type: ignore[index]
    invoice = WeeklyInvoice.objects.get(contract=contract)
    assert invoice.status == "in_review" and invoice.amount == hourly.amount_for(95, invoice.hourly_rate)
    assert WeeklyInvoiceStatusChange.objects.filter(weeklyinvoice=invoice, to_status="in_review").count() == 1
    assert Notification.objects.filter(user=client_user, data__invoice_id=invoice.pk).count() == 1

    with time_machine.travel(at(13, 0, 5), tick=True):
        results, failures = all_at_once(lambda: hourly.invoices_charge_due())
    assert failures == []
    assert sum(result["charged"] for result in results) == 1  # type: ignore[index]
    invoice.refresh_from_db()
    gross = cents(95, "52.00")
    assert invoice.status == "paid" and invoice.charged_amount * 100 == gross
    intents = [pi for pi in stripe_sdk().PaymentIntent.list(limit=100).auto_paging_iter()
               if (pi.get("metadata") or {}).get("invoice_id") == str(invoice.pk)]
    assert [(pi["amount"], pi["status"]) for pi in intents] == [(gross, "succeeded")]
    assert PaymentOperation.objects.filter(subject_type="hourly_invoice").count() == 1
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    assert [p.amount for p in Payment.objects.filter(user=freelancer_user, kind="release")] == [
        gross - fee_cents(gross)]
    assert_ledger_balanced()
