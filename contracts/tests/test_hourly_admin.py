"""Staff decide a disputed week from the admin, and remove a saved card: the actions call the services."""

import pytest
import time_machine
from django.contrib.messages import get_messages

from contracts import hourly
from contracts.models import WeeklyInvoice
from payments.methods import card_save
from payments.models import Payment, SavedCard
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def disputed_week(client_user, freelancer_user) -> WeeklyInvoice:
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "60.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=150)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        return hourly.invoice_dispute(invoice=invoice, by=client_user, reason="Half of it was a call we skipped.")


def run_action(client, model: str, action: str, ids: list[int]):
    return client.post(f"/admin/{model.replace('.', '/')}/", {"action": action, "_selected_action": ids})


@pytest.mark.parametrize(("action", "status", "charged"), [("resolve_release", "paid", cents(150, "60.00")),
                                                            ("resolve_refund", "refunded", 0)])
def test_staff_decide_a_disputed_week(client, staff_user, client_user, freelancer_user, action, status, charged):
    invoice = disputed_week(client_user, freelancer_user)
    client.force_login(staff_user)
    with time_machine.travel(at(11), tick=False):
        response = run_action(client, "contracts.weeklyinvoice", action, [invoice.pk])
        assert response.status_code == 302
        assert any("1 week(s) decided" in str(m) for m in get_messages(response.wsgi_request))
        again = run_action(client, "contracts.weeklyinvoice", action, [invoice.pk])
        assert any("not waiting for a decision" in str(m) for m in get_messages(again.wsgi_request))
    invoice.refresh_from_db()
    assert invoice.status == status and invoice.resolved_by == staff_user
    assert sum(Payment.objects.filter(user=client_user, kind="funding").values_list("amount", flat=True)) == charged
    released = Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True)
    assert sum(released) == charged - fee_cents(charged)
    assert_ledger_balanced()


def test_staff_remove_a_saved_card(client, staff_user, client_user):
    card = card_save(user=client_user, payment_method="pm_card_visa").card
    client.force_login(staff_user)
    response = run_action(client, "payments.savedcard", "remove_cards", [card.pk])
    assert any("1 card(s) removed" in str(m) for m in get_messages(response.wsgi_request))
    assert not SavedCard.objects.filter(pk=card.pk).exists()
    assert stripe_sdk().PaymentMethod.retrieve(card.stripe_payment_method_id)["customer"] is None
