"""A weekly charge the client's bank wants them to confirm (3-D Secure): the week waits, the client confirms it on
the week's page (the emulator's test bank standing in for the bank's page), and the week is paid once, with the
same PaymentIntent the job tried; the freelancer is paid the amount less the fee."""

import re

import pytest
import time_machine

from contracts import hourly
from contracts.models import WeeklyInvoice
from payments.methods import card_save, setup_intent_authenticate_test
from payments.models import Payment, PaymentOperation
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced, emulator_available
from tests.helpers.pages import assert_accessible_page

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract, money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def waiting_week(client_user, freelancer_user) -> WeeklyInvoice:
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "52.00")
        asked = card_save(user=client_user, payment_method="pm_card_authenticationRequired")
        assert asked.status == "requires_action"
        saved = setup_intent_authenticate_test(user=client_user, setup_intent_id=asked.setup_intent_id,
                                               client_secret=asked.client_secret)
        assert saved.card.last4 == "3184"
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=135)
    with time_machine.travel(at(9, 1), tick=False):
        hourly.weeks_close_due()
    with time_machine.travel(at(13, 1), tick=False):
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 1, "skipped": 0}
    return WeeklyInvoice.objects.get(contract=contract)


def test_the_client_confirms_a_weekly_charge_with_their_bank_and_it_is_paid_once(client, client_user,
                                                                                  freelancer_user):
    invoice = waiting_week(client_user, freelancer_user)
    gross = cents(135, "52.00")  # 2 h 15 min at 52.00 an hour
    assert (invoice.status, Payment.objects.count(), emulator_available()) == ("in_review", 0, 0)
    url = f"/contracts/{invoice.contract_id}/timesheet/?week=2026-11-02"
    confirm = f"/contracts/{invoice.contract_id}/invoices/{invoice.pk}/confirm/"
    # The freelancer sees the week waiting, but no confirmation is theirs to make.
    client.force_login(freelancer_user)
    with time_machine.travel(at(13, 9), tick=False):
        assert "Confirm with your bank" not in text(client.get(url))
        client.post(confirm, {"step": "start"})
        client.post(confirm, {"step": "bank"})
    assert WeeklyInvoice.objects.get(pk=invoice.pk).status == "in_review" and not Payment.objects.exists()

    client.force_login(client_user)
    with time_machine.travel(at(13, 10), tick=False):
        page = client.get(url)
        assert_accessible_page(page)
        assert "Your bank asks you to confirm this payment" in text(page)
        started = client.post(confirm, {"step": "start"}, follow=True)
        shown = text(started)
        assert "Your bank asks you to confirm the payment." in shown
        assert f"Test bank: confirm the payment of {money(gross)} USD for this week" in shown
        assert not Payment.objects.exists()  # nothing is paid before the bank's check
        done = client.post(confirm, {"step": "bank"}, follow=True)
        assert f"Your bank confirmed the payment: {money(gross)} USD is charged for the week." in text(done)
        assert "Confirm with your bank" not in text(done)
        # Again, as a double click or a reload would: nothing more is charged.
        client.post(confirm, {"step": "bank"})
        client.post(confirm, {"step": "start"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_error, invoice.charged_amount) == ("paid", "", gross / 100)
    operations = PaymentOperation.objects.filter(subject_type="hourly_invoice", subject_id=str(invoice.pk))
    assert [(o.status, o.stripe_id) for o in operations] == [("booked", invoice.payment_intent_id)]
    assert list(Payment.objects.filter(user=client_user, kind="funding").values_list("amount", flat=True)) == [gross]
    assert list(Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True)) == [
        gross - fee_cents(gross)]
    intent = stripe_sdk().PaymentIntent.retrieve(invoice.payment_intent_id)
    assert (intent["status"], intent["amount"]) == ("succeeded", gross)
    assert emulator_available() == gross  # one charge at Stripe, not two
    # The job's next run leaves the paid week alone.
    with time_machine.travel(at(14), tick=False):
        assert hourly.invoices_charge_due()["charged"] == 0
    assert Payment.objects.filter(kind="funding").count() == 1
    assert_ledger_balanced()
