"""What goes wrong while a week is charged: Stripe not answering (the reconciler, or the job's next run, asks
again with the same key: one charge), and a card declined after staff split a disputed week (the week waits, and
a new card pays the freelancer's part)."""

from datetime import timedelta

import pytest
import time_machine

from contracts import hourly
from contracts.models import WeeklyInvoice
from payments.methods import card_save
from payments.models import Payment, PaymentOperation
from payments.operations import operations_reconcile
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def reviewed_week(client_user, freelancer_user, card: str = "pm_card_visa") -> WeeklyInvoice:
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "42.00")
        card_save(user=client_user, payment_method=card)
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=100)
    with time_machine.travel(at(9, 1), tick=False):
        return hourly.week_close(contract=contract, week_start=at(2).date())


def charges_at_stripe(invoice: WeeklyInvoice) -> list[tuple[int, str]]:
    return [(pi["amount"], pi["status"]) for pi in stripe_sdk().PaymentIntent.list(limit=100).auto_paging_iter()
            if (pi.get("metadata") or {}).get("invoice_id") == str(invoice.pk)]


def test_a_charge_stripe_did_not_answer_is_finished_by_the_reconciler_once(settings, stripe_clean, client_user,
                                                                          freelancer_user):
    invoice = reviewed_week(client_user, freelancer_user)
    with time_machine.travel(at(13, 1), tick=False):
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no answer
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 0, "skipped": 1}
        settings.STRIPE_API_BASE = stripe_clean.url
        operation = PaymentOperation.objects.get(subject_type="hourly_invoice")
        assert operation.status == "unknown"
        invoice.refresh_from_db()
        assert invoice.status == "in_review" and not Payment.objects.exists()
        # The reconciler asks again with the same key and books it; the job then finds the week paid.
        assert operations_reconcile(left_for=timedelta(0)) == {"booked": 1, "failed": 0, "still_unknown": 0}
        assert operations_reconcile(left_for=timedelta(0)) == {"booked": 0, "failed": 0, "still_unknown": 0}
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 0, "skipped": 0}
    invoice.refresh_from_db()
    gross = cents(100, "42.00")
    assert invoice.status == "paid" and charges_at_stripe(invoice) == [(gross, "succeeded")]
    assert Payment.objects.get(user=freelancer_user, kind="release").amount == gross - fee_cents(gross)
    assert_ledger_balanced()


def test_a_split_whose_card_is_declined_waits_for_a_new_card(client_user, freelancer_user, staff_user):
    invoice = reviewed_week(client_user, freelancer_user, card="pm_card_chargeCustomerFail")
    with time_machine.travel(at(10), tick=False):
        hourly.invoice_dispute(invoice=invoice, by=client_user, reason="Half of it was not for us.")
        resolved = hourly.invoice_resolve(invoice=invoice, by=staff_user, resolution="split",
                                          freelancer_amount=invoice.amount / 2, note="Half.")
    assert resolved.status == "disputed" and resolved.resolution == "split" and resolved.payment_error
    with time_machine.travel(at(11), tick=False):
        assert hourly.invoices_charge_due()["charged"] == 0  # waits for a card
        card_save(user=client_user, payment_method="pm_card_visa")
    invoice.refresh_from_db()
    part = cents(100, "42.00") // 2
    assert invoice.status == "paid" and invoice.charged_amount * 100 == part
    assert Payment.objects.get(user=client_user, kind="funding").amount == part
    assert Payment.objects.get(user=freelancer_user, kind="release").amount == part - fee_cents(part)
    assert_ledger_balanced()


def test_the_next_job_run_asks_again_with_the_same_key(settings, stripe_clean, client_user, freelancer_user):
    invoice = reviewed_week(client_user, freelancer_user)
    with time_machine.travel(at(13, 1), tick=False):
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"
        assert hourly.invoices_charge_due()["skipped"] == 1
        settings.STRIPE_API_BASE = stripe_clean.url
        assert hourly.invoices_charge_due() == {"charged": 1, "failed": 0, "skipped": 0}
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.charge_attempts == 1
    assert charges_at_stripe(invoice) == [(cents(100, "42.00"), "succeeded")]
    assert PaymentOperation.objects.filter(subject_type="hourly_invoice").count() == 1
